package org.voxellens.fiji.install;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A jar file name split the way Maven and Fiji name jars, {@code artifact-version[-classifier].jar}: the version
 * starts at the first dash followed by a digit. Two jars with the same artifact name are copies of one library.
 */
public record JarName(String artifact, String version) {

    private static final Pattern NAME = Pattern.compile("^(.+?)-(\\d.*)\\.jar$");

    public static JarName of(String fileName) {
        Matcher m = NAME.matcher(fileName);
        if (m.matches()) return new JarName(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
        String base = fileName.toLowerCase(Locale.ROOT).endsWith(".jar") ? fileName.substring(0, fileName.length() - 4) : fileName;
        return new JarName(base.toLowerCase(Locale.ROOT), "");
    }

    /** The leading number of the version (2 of 2.10.1), or -1 when there is none. */
    public int major() {
        Matcher m = Pattern.compile("^(\\d+)").matcher(version);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    public String fileName() { return artifact + (version.isEmpty() ? "" : "-" + version) + ".jar"; }
}
