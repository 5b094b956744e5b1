package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * What the integer kernels share, and how they are written.
 *
 * <p>The Vector API has no byte or short dot-product operation (x86 {@code pmaddubsw}/{@code pmaddwd}), so the
 * kernels multiply weight and activation quants in 16-bit lanes and widen the products to 32 bits by adding
 * neighbouring lanes of the product reinterpreted as ints: {@code (v << 16 >> 16) + (v >> 16)} exactly, or
 * {@code (v + (v << 16)) >> 16} when every pair's sum is known to fit in 16 bits. Measured on AVX2, this beats the
 * Vector API's short-to-int conversion (which needs a cross-lane shuffle for its upper half).
 *
 * <p>The loops are written out in full in each kernel: a helper method that takes or returns vectors is only free
 * when the JIT inlines it, and one that was compiled on its own first is not inlined, after which its vectors are
 * boxed on the heap (measured: tens of MB allocated per matrix product). Only helpers on plain values live here,
 * and even those stay out of the largest kernels: with the 6-bit scale unpacking and the min sums of Q4_K/Q5_K moved
 * into helpers here, those kernels ran at two thirds of their speed (measured; most likely C2 stops inlining into
 * a method that large, and a call in the block loop spills every vector register).
 *
 * <p>An accumulator carried around a loop is updated as {@code acc = term.add(acc)}, never {@code acc =
 * acc.add(term)}. Each vector operation is a virtual call that C2 inlines only when it knows the receiver's exact
 * class. A term computed in the iteration has it; a loop-carried vector, whose next value is the result of that
 * very call, has it only through a type profile. Methods compiled from C1's tier 2, which records no profiles
 * (the tiered policy picks it while C2's queue is long, as on two cores at start-up), then ran the Vector API's Java
 * fallbacks, boxing a vector per operation: a Q4_K_M 1B model decoded at 7 t/s instead of 20-24 in about half the
 * processes started with {@code -XX:Tier3DelayOn=0}, and an 8192×2048 Q4_K product allocated 146 MB under
 * {@code -XX:-UseTypeProfile}, 13 bytes once written this way ({@code MatVec} with {@code -prof gc}). Uses of the
 * accumulator after the loop were thought safe (C2 then knows its class and inlines them late), but not always:
 * {@code FlashAttention.accumulate4}'s {@code a0.intoArray(...)}, after its inner loop and inside an outer one, stayed
 * out of line when C2 compiled it early (the launcher's {@code CompileThresholdScaling}), boxing every store. So a
 * finished accumulator is an operand too: {@code FloatVector.fromArray(...).add(acc).intoArray(...)}, and a
 * reduction goes through a fresh vector.
 *
 * <p>A 16-bit lane shifted by a constant is shifted by a vector of counts, {@code lanewise(LSHR, counts)}, made once
 * per call: C2 (JDK 25) compiles {@code ShortVector.lanewise(LSHR, 4)} into a move of the count to a general register,
 * a move from there to a vector register and a shift by that register, each time it is used (32-bit shifts take the
 * count as an immediate), where the vector form is one {@code vpsrlvw} (seen in {@code -XX:+PrintAssembly}).
 *
 * <p>Conversions are written {@code convertShape(op, species, 0)}, never {@code convert(op, 0)}: the latter reaches
 * {@code convertShape} through a virtual call inside {@code AbstractVector.convert}, whose type profile every
 * kernel in the process shares. After a batched prefill had run other shapes through it, C2 left that call out of
 * line when it compiled a packed kernel ("late call devirtualization" in {@code PrintInlining}), and the kernel
 * boxed a vector per block: decode several times slower until the process ended.
 *
 * <p>For the same reason, operands are vectors made before the loop, not scalars: {@code v.mul(scale)}, not
 * {@code v.mul(1.5f)}. The scalar forms reach the operation through a virtual call inside the JDK's
 * {@code FloatVector.lanewise(Binary, float)} and {@code IntVector.lanewise(Binary, int)}, with one shared profile.
 * After a prefill had run other species through them, C2 recompiled {@code ActivationQuantizer.q8_K} with those
 * calls out of line (JFR: {@code jdk.Deoptimization} "speculate_class_check" there), and each call boxed its
 * vectors: gigabytes allocated per decode sample, and Q4_K_M decode samples at half speed. The packed kernels still
 * use {@code and(int)} and 32-bit {@code lanewise(LSHR, int)} (an immediate shift when inlined); they have not been
 * seen out of line, but they go through the same entry point, and an experimental prefill kernel of 2026-12-06 whose
 * widening used {@code lanewise(LSHL, 16)} spent a quarter of its time in the Java fallback until the counts were
 * vectors.
 */
final class IntDot {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private IntDot() {}

    /** The fp16 at byte {@code offset}. */
    static float half(MemorySegment w, long offset) {
        return Float.float16ToFloat(w.get(I16, offset));
    }
}
