package org.ristretto.opencl;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;
import org.ristretto.core.backend.Probe;
import org.ristretto.core.quant.Fp16;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormats;

/** Opens the first OpenCL device for a test class, or skips the class saying what is missing; random test data. */
final class OpenClTestSupport {
    private OpenClTestSupport() {}

    /**
     * The runtime of the device {@code --backend opencl} would pick (its first GPU or accelerator, else its first
     * device); skips (JUnit assumption) with the probe's reason when there is no device.
     */
    static OpenClRuntime openPreferredDevice() {
        Probe probe = new OpenClBackendProvider().probe();
        assumeTrue(probe.available(), () -> "skipped: no OpenCL device to test on: " + probe.reason());
        List<OpenClDevice> usable = OpenClDevices.probe().devices().stream().filter(OpenClDevice::available).toList();
        return OpenClRuntime.open(usable.get(probe.preferredDevice().index()));
    }

    /** Roughly normal values with an occasional outlier, like trained weights and activations. */
    static float[] randomFloats(SplittableRandom random, int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double g = random.nextDouble(-1, 1) + random.nextDouble(-1, 1) + random.nextDouble(-1, 1);
            v[i] = (float) (g * scale * (random.nextInt(61) == 0 ? 8 : 1));
        }
        return v;
    }

    /** A matrix quantized with the scalar reference codec, and what that codec dequantizes it to. */
    record Encoded(MemorySegment bytes, float[] values) {}

    /**
     * {@code values} quantized to {@code type}; for the IQ types, which have no reference quantizer, random blocks
     * (random nibbles and scales with a small fp16 block scale) instead.
     */
    static Encoded encode(Arena arena, GgmlType type, float[] values, int rows, int cols) {
        long rowBytes = type.byteSize(cols);
        MemorySegment bytes = arena.allocate(rowBytes * rows, 16);
        float[] decoded = new float[values.length];
        boolean random = type == GgmlType.IQ4_NL || type == GgmlType.IQ4_XS;
        SplittableRandom rng = new SplittableRandom(Float.floatToIntBits(values[0]));
        for (int r = 0; r < rows; r++) {
            if (random) {
                for (long i = 0; i < rowBytes; i++) {
                    bytes.set(ValueLayout.JAVA_BYTE, r * rowBytes + i, (byte) rng.nextInt(256));
                }
                for (long b = 0; b < rowBytes; b += type.typeSize()) {
                    short d = Fp16.fromFloat((float) rng.nextDouble(-0.02, 0.02));
                    bytes.set(ValueLayout.JAVA_SHORT_UNALIGNED, r * rowBytes + b, d);
                }
            } else {
                QuantFormats.of(type).quantize(values, r * cols, bytes, r * rowBytes, cols);
            }
            QuantFormats.of(type).dequantize(bytes, r * rowBytes, decoded, r * cols, cols);
        }
        return new Encoded(bytes, decoded);
    }
}
