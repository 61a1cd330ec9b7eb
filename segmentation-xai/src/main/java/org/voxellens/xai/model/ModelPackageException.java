package org.voxellens.xai.model;

import java.io.IOException;

/** A model package that cannot be used; the message names the package and the problem. */
public class ModelPackageException extends IOException {
    public ModelPackageException(String message) { super(message); }
    public ModelPackageException(String message, Throwable cause) { super(message, cause); }
}
