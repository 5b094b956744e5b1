package org.ristretto.opencl;

import org.jocl.CL;

/** What kind of processor an OpenCL device is ({@code CL_DEVICE_TYPE}). */
public enum OpenClDeviceType {
    GPU,
    CPU,
    ACCELERATOR,
    CUSTOM,
    OTHER;

    static OpenClDeviceType of(long clType) {
        if ((clType & CL.CL_DEVICE_TYPE_GPU) != 0) {
            return GPU;
        }
        if ((clType & CL.CL_DEVICE_TYPE_CPU) != 0) {
            return CPU;
        }
        if ((clType & CL.CL_DEVICE_TYPE_ACCELERATOR) != 0) {
            return ACCELERATOR;
        }
        if ((clType & CL.CL_DEVICE_TYPE_CUSTOM) != 0) {
            return CUSTOM;
        }
        return OTHER;
    }
}
