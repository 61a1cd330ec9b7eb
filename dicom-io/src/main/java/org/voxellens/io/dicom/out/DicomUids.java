package org.voxellens.io.dicom.out;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;

/**
 * UIDs under the {@code 2.25} root (ISO/IEC 9834-8: a UUID written as one decimal integer), which needs no
 * registered organisation root and is at most 44 characters.
 *
 * <p>{@link #random()} is a random (version 4) UUID. {@link #derived} hashes a seed (SHA-256, the first 128
 * bits, shaped as a version-8 "custom" UUID) so that re-running the same job gives the same UIDs: a PACS then
 * sees the same series again instead of a duplicate. Callers put everything that distinguishes one object from
 * another into the parts (source series UID, object kind, method, model SHA, instance number).
 */
public final class DicomUids {

    private DicomUids() {
    }

    /** A new random UID: {@code 2.25.<random UUID as an unsigned integer>}. */
    public static String random() {
        return fromUuid(UUID.randomUUID());
    }

    /** A UID that depends only on the parts (joined unambiguously, hashed with SHA-256). */
    public static String derived(String... parts) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
        for (String p : parts) {
            byte[] b = (p == null ? "" : p).getBytes(StandardCharsets.UTF_8);
            sha.update(Integer.toString(b.length).getBytes(StandardCharsets.US_ASCII));
            sha.update((byte) ':');
            sha.update(b);
        }
        byte[] h = sha.digest();
        h[6] = (byte) ((h[6] & 0x0f) | 0x80); // version 8 (custom)
        h[8] = (byte) ((h[8] & 0x3f) | 0x80); // RFC 4122 variant
        long msb = 0, lsb = 0;
        for (int i = 0; i < 8; i++) msb = (msb << 8) | (h[i] & 0xff);
        for (int i = 8; i < 16; i++) lsb = (lsb << 8) | (h[i] & 0xff);
        return fromUuid(new UUID(msb, lsb));
    }

    static String fromUuid(UUID u) {
        BigInteger hi = new BigInteger(Long.toUnsignedString(u.getMostSignificantBits()));
        BigInteger lo = new BigInteger(Long.toUnsignedString(u.getLeastSignificantBits()));
        return "2.25." + hi.shiftLeft(64).or(lo);
    }
}
