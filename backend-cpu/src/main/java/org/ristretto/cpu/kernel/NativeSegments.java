package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Tells C2 what class a kernel's segment is, so that its vector loads compile to plain loads in every process.
 *
 * <p>A Vector API load from a segment runs the JDK's shared {@code ScopedMemoryAccess} methods, which ask the segment
 * for its base and offset through virtual calls. C2 inlines those only where the type profile of those shared
 * methods names the segment's class, and that profile is fed by every segment access in the process, not only this
 * kernel's (at one such call site a slow process's profile had native segments in 46% of its counts). In
 * about a third of cold processes C2 compiled a kernel with a virtual call per load: Q4_0 prompts of 16 tokens on the
 * file's layout ran at ~20 instead of ~42 tokens/s for the whole run (`-XX:+PrintInlining`: "unsafeGetBase failed to
 * inline: virtual call"; JFR: samples in {@code ScopedMemoryAccess.loadFromMemorySegment}). A cast to the class of
 * native segments, a constant, gives C2 the type without a profile: 8 of 8 cold runs at full speed, against 9 slow
 * of 26 before. Every kernel method that loads from a segment starts with {@code w = NativeSegments.of(w)} (a method
 * that only passes the segment on to such a method need not: the callee may be compiled on its own, and casts
 * again). The kernels' weights, packed copies and KV caches are native segments (file mappings are handed to
 * the kernels as native views, see {@code CpuBackend.weight}); anything else fails here with a
 * {@link ClassCastException}. Public for the KV cache's loads, which sit outside this package.
 */
public final class NativeSegments {
    private static final Class<? extends MemorySegment> NATIVE = MemorySegment.ofAddress(0).getClass();

    private NativeSegments() {}

    /** {@code segment}, typed for C2 as a native segment; throws {@link ClassCastException} if it is not one. */
    public static MemorySegment of(MemorySegment segment) {
        return NATIVE.cast(segment);
    }
}
