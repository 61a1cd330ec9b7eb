package org.voxellens.xai.attribution;

import java.util.Map;
import org.voxellens.xai.runtime.Tensor;

/**
 * One explanation on the model's input grid: {@code map} is {@code [1, 1, z, y, x]} (input channels combined).
 *
 * @param signed whether negative values carry meaning (Input×Gradient, IG) or the map is a magnitude
 * @param diagnostics method-specific numbers worth reporting (e.g. IG's completeness error)
 * @param channels for a model with several input channels (T1 + FLAIR), the map of each channel before they were
 *                 combined, {@code [1, C, z, y, x]}; null for one channel or methods that see all channels at once
 *                 (Grad-CAM's layer, occlusion's windows)
 */
public record Attribution(String method, Tensor map, boolean signed, Map<String, Object> diagnostics, Tensor channels) {

    public Attribution(String method, Tensor map, boolean signed, Map<String, Object> diagnostics) {
        this(method, map, signed, diagnostics, null);
    }

    /** A gradient method's per-channel maps {@code [1, C, z, y, x]}, combined by {@code combined}; kept when C > 1. */
    static Attribution ofChannels(String method, Tensor perChannel, Tensor combined, boolean signed, Map<String, Object> diagnostics) {
        return new Attribution(method, combined, signed, diagnostics, perChannel.dim(1) > 1 ? perChannel : null);
    }
}
