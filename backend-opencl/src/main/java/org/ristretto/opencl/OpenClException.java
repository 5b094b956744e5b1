package org.ristretto.opencl;

import org.jocl.CL;
import org.ristretto.core.backend.BackendException;

/**
 * An OpenCL call failed. The message names the call, what it was doing and the OpenCL status by name; {@link #status()}
 * keeps the numeric code for callers that react to specific failures (a lost device, say). It is a
 * {@link BackendException}, so the Backend SPI's callers see every device failure the same way.
 */
public final class OpenClException extends BackendException {
    private final int status;

    /** A failure with OpenCL status {@code status} (0 where the failure is not an OpenCL status, a build log say). */
    public OpenClException(String message, int status) {
        super(message);
        this.status = status;
    }

    /** The OpenCL status code ({@code CL_OUT_OF_RESOURCES} is -5, ...), 0 where none applies. */
    public int status() {
        return status;
    }

    /** Whether the status says the device is gone or unusable, so that nothing more can run on it. */
    public boolean deviceLost() {
        return isDeviceLost(status);
    }

    static boolean isDeviceLost(int status) {
        // -9999 is NVIDIA's status after an illegal access has killed the context.
        return status == CL.CL_DEVICE_NOT_AVAILABLE || status == CL.CL_INVALID_COMMAND_QUEUE
                || status == CL.CL_INVALID_CONTEXT || status == -9999;
    }

    /** The constant's name for a status ({@code CL_OUT_OF_RESOURCES}), with the number. */
    static String statusName(int status) {
        String name;
        try {
            name = CL.stringFor_errorCode(status);
        } catch (RuntimeException e) {
            name = "unknown status";
        }
        return name + " (" + status + ")";
    }

    /**
     * Throws unless {@code status} is {@code CL_SUCCESS}; {@code what} says what the call was doing and on which
     * device. A lost or unavailable device gets a message saying so in plain words.
     */
    static void check(int status, String what) {
        if (status != CL.CL_SUCCESS) {
            throw failure(status, what);
        }
    }

    static OpenClException failure(int status, String what) {
        if (isDeviceLost(status)) {
            return new OpenClException("OpenCL device lost or not available while " + what + ": "
                    + statusName(status) + "; the device was reset, removed or is in use exclusively elsewhere,"
                    + " so this session cannot continue on it", status);
        }
        return new OpenClException("OpenCL failed while " + what + ": " + statusName(status), status);
    }
}
