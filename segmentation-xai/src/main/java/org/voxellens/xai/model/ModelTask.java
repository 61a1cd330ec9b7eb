package org.voxellens.xai.model;

/** What a model's output means: one logit per class, or one logit map per class. */
public enum ModelTask { CLASSIFICATION, SEGMENTATION }
