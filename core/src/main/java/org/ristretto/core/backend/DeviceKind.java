package org.ristretto.core.backend;

/** What kind of hardware a device is; automatic backend selection prefers GPUs and accelerators. */
public enum DeviceKind {
    /** A general-purpose processor (the host, or an OpenCL CPU device such as PoCL). */
    CPU,
    /** A discrete or integrated graphics processor. */
    GPU,
    /** Any other accelerator an OpenCL or CUDA runtime reports. */
    ACCELERATOR
}
