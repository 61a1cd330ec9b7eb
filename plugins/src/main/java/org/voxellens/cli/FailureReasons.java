package org.voxellens.cli;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Failure reasons of a PACS study without the paths of its temporary folder: those files are deleted when the study
 * ends, so a reason naming {@code /tmp/…/in/000005.dcm} points nowhere. A retrieved instance is named by its SOP
 * Instance UID instead (what a PACS administrator can look up), the folders by what they hold.
 */
final class FailureReasons {

    private static final Pattern UID = Pattern.compile("[0-9]+(\\.[0-9]+)+");

    private FailureReasons() {
    }

    /** {@code reason} with every path under {@code studyDir} replaced; called while the files still exist. */
    static String withoutTempPaths(String reason, Path studyDir) {
        if (studyDir == null || reason == null) return reason;
        Path dir = studyDir.toAbsolutePath();
        Matcher m = Pattern.compile(Pattern.quote(dir.toString()) + "([/\\\\][^\\s:;,\"')]*)?").matcher(reason);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String rel = m.group(1) == null ? "" : m.group(1).substring(1);
            m.appendReplacement(b, Matcher.quoteReplacement(name(dir, rel)));
        }
        m.appendTail(b);
        return b.toString();
    }

    private static String name(Path dir, String rel) {
        if (rel.isEmpty()) return "the study's temporary folder";
        Path f = dir.resolve(rel).normalize();
        boolean input = rel.startsWith("in");
        if (!Files.isRegularFile(f)) return input ? "the retrieved series" : "the study's results";
        String uid = sopInstanceUid(f);
        if (uid != null) return (input ? "instance " : "result instance ") + uid;
        return input ? "a retrieved instance (no readable SOP Instance UID)" : "a result file";
    }

    /** The file's SOP Instance UID from its header, or null (a file too damaged to have one). */
    private static String sopInstanceUid(Path f) {
        try {
            AttributeList l = new AttributeList();
            l.read(f.toString(), TagFromName.PixelData);
            String uid = Attribute.getSingleStringValueOrEmptyString(l, TagFromName.SOPInstanceUID).strip();
            if (uid.isEmpty()) uid = Attribute.getSingleStringValueOrEmptyString(l, TagFromName.MediaStorageSOPInstanceUID).strip();
            return UID.matcher(uid).matches() ? uid : null;
        } catch (Exception e) {
            String name = f.getFileName().toString().replaceFirst("\\.dcm$", "");
            return UID.matcher(name).matches() ? name : null; // files retrieved under their UID keep it in the name
        }
    }
}
