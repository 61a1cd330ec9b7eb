package org.voxellens.xai.runtime;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * libtorch's process-wide switches ({@code at::globalContext()}), which DJL does not expose: whether convolutions
 * may use oneDNN ({@code torch.backends.mkldnn.enabled} in Python) and whether cuDNN may use TF32
 * ({@code torch.backends.cudnn.allow_tf32}). Reached through JNA on the libtorch_cpu library that DJL has already
 * loaded into this process, by its exported C++ symbols (Itanium ABI: a member function takes {@code this} first).
 *
 * <p>Both switches are read by libtorch each time an operator picks its kernel, so they take effect on the next
 * operator, including the operators of a backward pass started after the change.
 */
final class LibtorchContext {

    private final Pointer context;
    private final Function setOneDnn;
    private final Function oneDnn;
    private final Function setTf32CuDnn;

    private LibtorchContext(NativeLibrary lib) {
        this.context = lib.getFunction("_ZN2at13globalContextEv").invokePointer(new Object[0]);
        this.setOneDnn = lib.getFunction("_ZN2at7Context20setUserEnabledMkldnnEb");
        this.oneDnn = lib.getFunction("_ZNK2at7Context17userEnabledMkldnnEv");
        this.setTf32CuDnn = lib.getFunction("_ZN2at7Context17setAllowTF32CuDNNEb");
    }

    /**
     * The switches of the libtorch loaded in this process (the engine must have started), or empty when they cannot
     * be reached: no JNA, a libtorch without these symbols, or a platform without /proc/self/maps.
     */
    static Optional<LibtorchContext> find() {
        try {
            Optional<String> path = loadedLibrary("libtorch_cpu.");
            if (path.isEmpty()) return Optional.empty();
            LibtorchContext c = new LibtorchContext(NativeLibrary.getInstance(path.get()));
            c.oneDnnEnabled(); // proves the calls work before anyone relies on them
            return Optional.of(c);
        } catch (IOException | LinkageError | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Whether convolutions may use oneDNN (libtorch's default: yes). */
    boolean oneDnnEnabled() {
        return (oneDnn.invokeInt(new Object[] {context}) & 0xff) != 0;
    }

    void setOneDnnEnabled(boolean enabled) {
        setOneDnn.invokeVoid(new Object[] {context, enabled});
    }

    /** cuDNN convolutions in full float32 (false) or TF32 (true, libtorch's default on Ampere and newer GPUs). */
    void setCuDnnTf32(boolean allowed) {
        setTf32CuDnn.invokeVoid(new Object[] {context, allowed});
    }

    private static Optional<String> loadedLibrary(String namePrefix) throws IOException {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) return Optional.empty();
        for (String line : Files.readAllLines(maps)) {
            int slash = line.indexOf('/');
            if (slash < 0) continue;
            String file = line.substring(slash).strip();
            String name = file.substring(file.lastIndexOf('/') + 1);
            if (name.startsWith(namePrefix)) return Optional.of(file);
        }
        return Optional.empty();
    }
}
