package org.voxellens.xai.model;

/**
 * A layer that Grad-CAM can look at, exposed by the TorchScript file through two extra methods: one returns the
 * model output with a probe tensor added to the layer's output (so d score / d probe = d score / d activations,
 * which DJL cannot otherwise read for a non-leaf tensor), the other returns the layer's activations.
 *
 * @param shape the layer output's shape at batch 1 ({@code [1, C, z, y, x]}); may be null when not declared
 */
public record GradCamLayer(String name, String probeMethod, String activationMethod, long[] shape) {}
