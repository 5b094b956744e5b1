package org.ristretto.opencl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.jocl.CL;
import org.junit.jupiter.api.Test;

/** The messages of device-layer failures name the status and, for a lost device, say so plainly. */
class OpenClExceptionTest {

    @Test
    void lostOrUnavailableDeviceIsRecognised() {
        assertTrue(OpenClException.isDeviceLost(CL.CL_DEVICE_NOT_AVAILABLE));
        assertTrue(OpenClException.isDeviceLost(CL.CL_INVALID_CONTEXT));
        assertTrue(OpenClException.isDeviceLost(-9999));
        assertFalse(OpenClException.isDeviceLost(CL.CL_INVALID_WORK_GROUP_SIZE));
    }

    @Test
    void lostOrUnavailableDeviceIsSaidPlainly() {
        assumeJoclLoads();
        OpenClException e = OpenClException.failure(CL.CL_DEVICE_NOT_AVAILABLE, "launching kernel matmul on X");
        assertTrue(e.deviceLost());
        assertTrue(e.getMessage().contains("device lost or not available") && e.getMessage().contains("matmul")
                && e.getMessage().contains("CL_DEVICE_NOT_AVAILABLE"), e.getMessage());
        assertTrue(OpenClException.failure(-9999, "reading").deviceLost());
    }

    @Test
    void otherFailuresNameTheStatus() {
        assumeJoclLoads();
        OpenClException e = OpenClException.failure(CL.CL_INVALID_WORK_GROUP_SIZE, "launching kernel rms_norm");
        assertFalse(e.deviceLost());
        assertTrue(e.getMessage().contains("CL_INVALID_WORK_GROUP_SIZE") && e.getMessage().contains("(-54)"),
                e.getMessage());
    }

    /**
     * The status names come from JOCL's {@code CL} class, whose initialisation loads the OpenCL ICD loader
     * ({@code libOpenCL.so}); an OpenClException only ever exists after that succeeded.
     */
    private static void assumeJoclLoads() {
        String why = null;
        try {
            CL.stringFor_errorCode(CL.CL_SUCCESS);
        } catch (LinkageError e) {
            why = e.toString();
        }
        String reason = why;
        assumeTrue(reason == null, () -> "skipped: JOCL cannot load the OpenCL library (apt-get install"
                + " ocl-icd-libopencl1): " + reason);
    }
}
