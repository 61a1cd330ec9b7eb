package org.voxellens.xai.attribution;

import java.util.Map;
import org.voxellens.xai.runtime.Tensor;

/**
 * One explanation on the model's input grid: {@code map} is {@code [1, 1, z, y, x]} (input channels combined).
 *
 * @param signed whether negative values carry meaning (Input×Gradient, IG) or the map is a magnitude
 * @param diagnostics method-specific numbers worth reporting (e.g. IG's completeness error)
 */
public record Attribution(String method, Tensor map, boolean signed, Map<String, Object> diagnostics) {}
