// VoxelLens headless batch: explains every volume in a folder (NIfTI files, and sub-folders holding a DICOM series)
// and writes, per case, into <output>/<case>/: one NIfTI map and one PNG picture per method, scores.csv (the
// trust scores), summary.json and report.html. A case that fails is reported and leaves no files; the others go on.
//
// Fiji, headless:
//   ImageJ-linux64 --headless --console -macro fiji-batch.ijm \
//     "input=[/data/cases] model=[/models/demo-classifier] output=[/data/results] methods=gradcam,saliency target=lesion metrics=infidelity"
// Options: input, model and output are required; methods (default gradcam,smoothgrad), target (default: the
// model's), metrics (infidelity, infidelity_patches, sensitivity, randomisation, deletion or all; default: none).
// Device and threads come from Plugins > VoxelLens > Settings...

args = getArgument();
input = option(args, "input", "");
model = option(args, "model", "");
output = option(args, "output", "");
methods = option(args, "methods", "gradcam,smoothgrad");
target = option(args, "target", "");
metrics = option(args, "metrics", "");
if (input == "" || model == "" || output == "")
    exit("fiji-batch.ijm: input=[folder] model=[model package] output=[folder] are required; got: " + args);
if (!File.isDirectory(input)) exit("fiji-batch.ijm: " + input + ": not a folder");
if (!endsWith(input, File.separator)) input = input + File.separator;
if (!endsWith(output, File.separator)) output = output + File.separator;

list = getFileList(input);
done = 0; failed = 0;
for (i = 0; i < list.length; i++) {
    name = list[i];
    if (endsWith(name, "/")) name = substring(name, 0, lengthOf(name) - 1);  // a folder: a DICOM series
    else if (!endsWith(name, ".nii.gz") && !endsWith(name, ".nii") && !endsWith(name, ".dcm")) continue;
    caseName = replace(replace(replace(name, ".nii.gz", ""), ".nii", ""), ".dcm", "");
    print("VoxelLens batch: " + (i + 1) + "/" + list.length + " " + name);
    status = call("org.voxellens.fiji.BatchExplain.explainCase", input + name, model, methods, target, metrics, output + caseName);
    print("VoxelLens batch: " + name + ": " + status);
    if (startsWith(status, "OK")) done++; else failed++;
}
print("VoxelLens batch: " + done + " cases explained, " + failed + " failed; results in " + output);

// key=value or key=[value with spaces] from the macro argument
function option(args, key, def) {
    s = " " + args + " ";
    i = indexOf(s, " " + key + "=");
    if (i < 0) return def;
    v = substring(s, i + lengthOf(key) + 2);
    if (startsWith(v, "[")) return substring(v, 1, indexOf(v, "]"));
    return substring(v, 0, indexOf(v, " "));
}
