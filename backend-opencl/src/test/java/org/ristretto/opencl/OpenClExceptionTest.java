package org.ristretto.opencl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jocl.CL;
import org.junit.jupiter.api.Test;

/** The messages of device-layer failures name the status and, for a lost device, say so plainly. */
class OpenClExceptionTest {

    @Test
    void lostOrUnavailableDeviceIsSaidPlainly() {
        OpenClException e = OpenClException.failure(CL.CL_DEVICE_NOT_AVAILABLE, "launching kernel matmul on X");
        assertTrue(e.deviceLost());
        assertTrue(e.getMessage().contains("device lost or not available") && e.getMessage().contains("matmul")
                && e.getMessage().contains("CL_DEVICE_NOT_AVAILABLE"), e.getMessage());
        assertTrue(OpenClException.failure(-9999, "reading").deviceLost());
    }

    @Test
    void otherFailuresNameTheStatus() {
        OpenClException e = OpenClException.failure(CL.CL_INVALID_WORK_GROUP_SIZE, "launching kernel rms_norm");
        assertFalse(e.deviceLost());
        assertTrue(e.getMessage().contains("CL_INVALID_WORK_GROUP_SIZE") && e.getMessage().contains("(-54)"),
                e.getMessage());
    }
}
