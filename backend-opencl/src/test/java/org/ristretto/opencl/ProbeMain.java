package org.ristretto.opencl;

/** Prints what the OpenCL provider's probe says, for {@link OpenClBackendProviderTest}'s child JVM. */
public final class ProbeMain {
    private ProbeMain() {}

    public static void main(String[] args) {
        var probe = new OpenClBackendProvider().probe();
        System.out.println("available=" + probe.available());
        System.out.println("reason=" + probe.reason());
    }
}
