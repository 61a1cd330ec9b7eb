package org.voxellens.io.pacs;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * DICOMweb authentication: none, HTTP basic or a bearer token. Holds the secret only to build the Authorization
 * header; {@link #toString()} names the type (and the basic user), never the secret.
 */
public final class Auth {

    public enum Type { NONE, BASIC, BEARER }

    private final Type type;
    private final String user;
    private final String header;

    private Auth(Type type, String user, String header) {
        this.type = type;
        this.user = user;
        this.header = header;
    }

    public static Auth none() { return new Auth(Type.NONE, null, null); }

    public static Auth basic(String user, String password) {
        String token = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return new Auth(Type.BASIC, user, "Basic " + token);
    }

    public static Auth bearer(String token) { return new Auth(Type.BEARER, null, "Bearer " + token); }

    public Type type() { return type; }

    /** The Authorization header value, when there is one. */
    Optional<String> header() { return Optional.ofNullable(header); }

    @Override
    public String toString() {
        return switch (type) {
            case NONE -> "none";
            case BASIC -> "basic, user " + user;
            case BEARER -> "bearer token";
        };
    }
}
