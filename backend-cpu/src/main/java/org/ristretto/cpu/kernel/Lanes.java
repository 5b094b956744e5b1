package org.ristretto.cpu.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector width the kernels run at, as species constants.
 *
 * <p>The Vector API compiles to machine vectors only where the JIT sees a species as a constant. Kernels therefore
 * never store a species: they ask their {@code Lanes} each time. A process normally instantiates one subclass (the
 * preferred width), so the JIT inlines these one-line methods and the species become constants; a test that runs
 * several widths in one JVM still gets correct, only slower, code.
 */
abstract sealed class Lanes {
    /** Floats of the full width. */
    abstract VectorSpecies<Float> floats();

    /** Ints of the full width. */
    abstract VectorSpecies<Integer> ints();

    /** Shorts of the full width. */
    abstract VectorSpecies<Short> shorts();

    /** Bytes of half the width: as many lanes as {@link #shorts()}, for widening byte loads. */
    abstract VectorSpecies<Byte> halfBytes();

    /** Shorts of half the width: as many lanes as {@link #ints()}, for widening short loads. */
    abstract VectorSpecies<Short> halfShorts();

    /** Bytes of a quarter of the width: as many lanes as {@link #ints()}, for widening byte loads to ints. */
    abstract VectorSpecies<Byte> quarterBytes();

    /**
     * Shorts of at most 256 bits (16 lanes): the piece that kernels for 32-value blocks of packed nibbles work in,
     * since such a block holds its low and high nibbles as two 16-byte halves.
     */
    abstract VectorSpecies<Short> pieceShorts();

    /** Bytes with as many lanes as {@link #pieceShorts()}. */
    abstract VectorSpecies<Byte> pieceBytes();

    /** Ints with half the lanes of {@link #pieceShorts()}. */
    abstract VectorSpecies<Integer> pieceInts();

    /** Floats with half the lanes of {@link #pieceShorts()}. */
    abstract VectorSpecies<Float> pieceFloats();

    /**
     * The lanes for {@code shape}: 128, 256 or 512 bits.
     *
     * <p>Each width is made by a factory in its own class, so that only the class of the width in use is ever loaded
     * ({@code new Bits128()} here would have the verifier load all three). With one subclass loaded, C2 inlines the
     * kernels' calls on their {@code Lanes} by class hierarchy analysis alone, so their species are constants, and the
     * Vector API's intrinsics apply, even in code compiled without type profiles: on a busy two-core machine the JIT
     * compiles some kernels from profile-less tier-2 code, and with three subclasses loaded those compiles left the
     * calls virtual, ran the Vector API's Java fallbacks and deoptimized over and over (cold 5-token prompt of a
     * Q4_K_M 1B model with {@code --no-repack} on a 2-core Zen 5: 15.9–17.8 s, then 5.3–7.6 s).
     */
    static Lanes of(VectorShape shape) {
        return switch (shape) {
            case S_128_BIT -> Bits128.create();
            case S_256_BIT -> Bits256.create();
            case S_512_BIT -> Bits512.create();
            default -> throw new IllegalArgumentException("vector shape " + shape + " is not supported; use 128, 256 or"
                    + " 512 bits");
        };
    }

    /** The width the platform runs fastest, capped to the ones above. */
    static Lanes preferred() {
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        return of(bits >= 512 ? VectorShape.S_512_BIT : bits >= 256 ? VectorShape.S_256_BIT : VectorShape.S_128_BIT);
    }

    static final class Bits128 extends Lanes {
        static Lanes create() {
            return new Bits128();
        }

        @Override VectorSpecies<Float> floats() { return FloatVector.SPECIES_128; }
        @Override VectorSpecies<Integer> ints() { return IntVector.SPECIES_128; }
        @Override VectorSpecies<Short> shorts() { return ShortVector.SPECIES_128; }
        @Override VectorSpecies<Byte> halfBytes() { return ByteVector.SPECIES_64; }
        @Override VectorSpecies<Short> halfShorts() { return ShortVector.SPECIES_64; }
        /** There are no 32-bit vectors; nothing at this width needs them (the packed kernels are off). */
        @Override VectorSpecies<Byte> quarterBytes() {
            throw new UnsupportedOperationException("no 32-bit byte vectors");
        }
        @Override VectorSpecies<Short> pieceShorts() { return ShortVector.SPECIES_128; }
        @Override VectorSpecies<Byte> pieceBytes() { return ByteVector.SPECIES_64; }
        @Override VectorSpecies<Integer> pieceInts() { return IntVector.SPECIES_128; }
        @Override VectorSpecies<Float> pieceFloats() { return FloatVector.SPECIES_128; }
    }

    static final class Bits256 extends Lanes {
        static Lanes create() {
            return new Bits256();
        }

        @Override VectorSpecies<Float> floats() { return FloatVector.SPECIES_256; }
        @Override VectorSpecies<Integer> ints() { return IntVector.SPECIES_256; }
        @Override VectorSpecies<Short> shorts() { return ShortVector.SPECIES_256; }
        @Override VectorSpecies<Byte> halfBytes() { return ByteVector.SPECIES_128; }
        @Override VectorSpecies<Short> halfShorts() { return ShortVector.SPECIES_128; }
        @Override VectorSpecies<Byte> quarterBytes() { return ByteVector.SPECIES_64; }
        @Override VectorSpecies<Short> pieceShorts() { return ShortVector.SPECIES_256; }
        @Override VectorSpecies<Byte> pieceBytes() { return ByteVector.SPECIES_128; }
        @Override VectorSpecies<Integer> pieceInts() { return IntVector.SPECIES_256; }
        @Override VectorSpecies<Float> pieceFloats() { return FloatVector.SPECIES_256; }
    }

    static final class Bits512 extends Lanes {
        static Lanes create() {
            return new Bits512();
        }

        @Override VectorSpecies<Float> floats() { return FloatVector.SPECIES_512; }
        @Override VectorSpecies<Integer> ints() { return IntVector.SPECIES_512; }
        @Override VectorSpecies<Short> shorts() { return ShortVector.SPECIES_512; }
        @Override VectorSpecies<Byte> halfBytes() { return ByteVector.SPECIES_256; }
        @Override VectorSpecies<Short> halfShorts() { return ShortVector.SPECIES_256; }
        @Override VectorSpecies<Byte> quarterBytes() { return ByteVector.SPECIES_128; }
        @Override VectorSpecies<Short> pieceShorts() { return ShortVector.SPECIES_256; }
        @Override VectorSpecies<Byte> pieceBytes() { return ByteVector.SPECIES_128; }
        @Override VectorSpecies<Integer> pieceInts() { return IntVector.SPECIES_256; }
        @Override VectorSpecies<Float> pieceFloats() { return FloatVector.SPECIES_256; }
    }
}
