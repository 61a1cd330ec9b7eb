package org.voxellens.xai.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DeviceSpecTest {

    @Test
    void parsesTheDocumentedForms() {
        assertEquals(DeviceSpec.AUTO, DeviceSpec.parse("auto"));
        assertEquals(DeviceSpec.CPU, DeviceSpec.parse("CPU"));
        assertEquals(new DeviceSpec(DeviceSpec.Kind.GPU, 0), DeviceSpec.parse("gpu"));
        assertEquals(new DeviceSpec(DeviceSpec.Kind.GPU, 2), DeviceSpec.parse("gpu:2"));
        assertEquals("gpu:2", DeviceSpec.parse("cuda:2").toString());
    }

    @Test
    void rejectsOthers() {
        for (String bad : new String[] {"tpu", "gpu:-1", "gpu:x", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse(bad));
            assertEquals(true, e.getMessage().contains("auto, cpu, gpu"), e.getMessage());
        }
    }

    @Test
    void asksForAGpuOnACpuOnlyEngineGetsAClearMessage() {
        // The bundled libtorch is the CPU build: whether or not the machine has a GPU, no CUDA device is visible.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> TorchModel.Engines.resolve(DeviceSpec.parse("gpu")));
        assertEquals(true, e.getMessage().contains("no CUDA device"), e.getMessage());
        assertEquals("cpu()", TorchModel.Engines.resolve(DeviceSpec.AUTO).toString());
    }
}
