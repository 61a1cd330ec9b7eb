package org.voxellens.xai.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EngineMessagesTest {

    @Test
    void aTorchScriptFailureIsCutToItsCauseAndTheModelCodeItCameFrom() {
        // the shape of libtorch 2.x's message for a failing scripted module (the CLI test produces a real one)
        String msg = String.join("\n",
            "The following operation failed in the TorchScript interpreter.",
            "Traceback of TorchScript, serialized code (most recent call last):",
            "  File \"code/__torch__/net.py\", line 20, in forward",
            "    _0 = self.decode(b, e1)",
            "  File \"code/__torch__/net.py\", line 31, in decode",
            "    x = torch.cat([u, e1], 1)",
            "        ~~~~~~~~~ <--- HERE",
            "Traceback of TorchScript, original code (most recent call last):",
            "  File \"net.py\", line 86, in decode",
            "    return torch.cat([u, e1], 1)",
            "RuntimeError: Sizes of tensors must match except in dimension 1. Expected size 24 but got size 25 for tensor number 1 in the list.",
            "");
        assertEquals("Sizes of tensors must match except in dimension 1. Expected size 24 but got size 25 for tensor number 1 "
            + "in the list. [in the model's TorchScript net.py:86 (decode)]", EngineMessages.cause(msg));
    }

    @Test
    void otherMessagesKeepTheirFirstLine() {
        assertEquals("cannot allocate 12 GB", EngineMessages.cause("cannot allocate 12 GB\nsecond line"));
        assertEquals("Method 'activations_x' is not defined.",
            EngineMessages.cause("RuntimeError: Method 'activations_x' is not defined.Exception raised from get_method at x.cpp:12"));
    }
}
