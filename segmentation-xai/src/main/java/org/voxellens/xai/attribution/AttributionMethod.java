package org.voxellens.xai.attribution;

import java.util.Map;

/** An explanation method: maps a model, an input and a target to a voxel-wise relevance map. */
public interface AttributionMethod {

    /** Stable identifier used on the command line and in file names ("smoothgrad", "gradcam", ...). */
    String id();

    /** Every parameter that determines the result, for summary.json. */
    Map<String, Object> parameters();

    Attribution explain(ExplainContext context);
}
