package org.ristretto.bench;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.cpu.MappedMemory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Two builds of the CPU kernels, side by side in one JVM: each checkout's {@code core} and {@code backend-cpu}
 * classes load in class loaders of their own, and their {@code MatMul}s multiply the same matrices in turns of about a
 * second, for a number of rounds. On a shared machine whose speed moves by a third from minute to minute, separate
 * runs cannot see a 5% change; turns a second apart can. Each build gets two loaders, created in the order A, B, B, A
 * and measured in that order and its reverse on alternate rounds, because the loader created first ran 6–8% faster
 * than the second with identical classes. The report gives each build's median and the median and range of the
 * per-round ratio B/A, and the largest difference between the two builds' outputs.
 */
@Command(name = "build-ab", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Alternates one product of two builds' CPU kernels (checkouts built with `mvn package`) in one "
                + "JVM and reports the ratio of their speeds.")
public final class BuildAb implements Callable<Integer> {
    @Option(names = "--a", required = true, paramLabel = "DIR", description = "Checkout A (the reference).")
    Path a;

    @Option(names = "--b", required = true, paramLabel = "DIR", description = "Checkout B (the change).")
    Path b;

    @Option(names = "--type", defaultValue = "Q4_0", description = "Weight type (default ${DEFAULT-VALUE}).")
    GgmlType type;

    @Option(names = "--shape", defaultValue = "8192x2048", paramLabel = "ROWSxCOLS",
            description = "Matrix shape (default ${DEFAULT-VALUE}).")
    String shape;

    @Option(names = "--tokens", defaultValue = "512", description = "Tokens per product (default ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--packed", description = "Multiply packed copies (as decoding does; at most 32 tokens).")
    boolean packed;

    @Option(names = "--no-huge-pages", description = "Give the packed copies arena memory (4 KB pages) instead of "
            + "mappings advised for transparent huge pages, as the CPU backend gives them.")
    boolean noHugePages;

    @Option(names = "--threads", defaultValue = "2", description = "Worker threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--rounds", defaultValue = "10", description = "Measured rounds (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--seconds", defaultValue = "1", description = "Seconds per turn (default ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--footprint-mib", defaultValue = "512",
            description = "Distinct matrices filling this much memory, so that small products read from memory, not "
                    + "caches (default ${DEFAULT-VALUE}).")
    int footprintMiB;

    @Spec
    CommandSpec spec;

    /** One build in one class loader: its worker pool, its MatMul, and the product it runs. */
    private record Side(String name, AutoCloseable pool, Object matMul, Method multiply, Object[] operands) {}

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        String[] rc = shape.split("x");
        int rows = Integer.parseInt(rc[0]);
        int cols = Integer.parseInt(rc[1]);
        if (packed && tokens > 32) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--packed multiplies at most 32 tokens");
        }
        long matrixBytes = type.byteSize(cols) * rows;
        int count = (int) Math.max(1, Math.min(64, ((long) footprintMiB << 20) / matrixBytes));
        try (Arena arena = Arena.ofShared(); MappedMemory packedMemory = new MappedMemory(true)) {
            SegmentAllocator copies = noHugePages ? arena : packedMemory;
            MemorySegment[] matrices = new MemorySegment[count];
            for (int i = 0; i < count; i++) {
                matrices[i] = BenchWeights.matrix(arena, type, rows, cols, i);
            }
            float[] x = new float[tokens * cols];
            SplittableRandom rnd = new SplittableRandom(7);
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextDouble(-1, 1);
            }
            List<Side> sides = new ArrayList<>();
            for (Path dir : new Path[] {a, b, b, a}) {
                sides.add(side(dir, matrices, rows, cols, copies));
            }
            float[][] outputs = new float[sides.size()][tokens * rows];
            double[][] rates = new double[sides.size()][rounds];
            double work = tokens == 1 ? matrixBytes / 1e9 : (double) rows * cols * tokens / 1e9;
            for (int r = -2; r < rounds; r++) {
                for (int k = 0; k < sides.size(); k++) {
                    int s = (r & 1) == 0 ? k : sides.size() - 1 - k;
                    double rate = turn(sides.get(s), matrices, x, rows, cols, outputs[s]) * work;
                    if (r >= 0) {
                        rates[s][r] = rate;
                    }
                }
            }
            // The turns end on different matrices; compare one product of the first matrix from each build.
            for (int s = 0; s < 2; s++) {
                product(sides.get(s), matrices, 0, x, rows, cols, outputs[s]);
            }
            report(out, rates, outputs, tokens == 1 ? "GB/s of weights" : "G multiply-adds/s");
            for (Side s : sides) {
                s.pool().close();
            }
        }
        return 0;
    }

    private Side side(Path dir, MemorySegment[] matrices, int rows, int cols, SegmentAllocator copyMemory)
            throws Exception {
        URL[] urls = {classes(dir, "backend-cpu"), classes(dir, "core")};
        ClassLoader loader = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader());
        Class<?> poolClass = loader.loadClass("org.ristretto.cpu.parallel.WorkerPool");
        Class<?> matMulClass = loader.loadClass("org.ristretto.cpu.kernel.MatMul");
        Class<?> typeClass = loader.loadClass("org.ristretto.core.quant.GgmlType");
        Object pool = poolClass.getConstructor(int.class).newInstance(threads);
        Object matMul = matMulClass.getConstructor(poolClass).newInstance(pool);
        Object theirType = typeClass.getMethod("valueOf", String.class).invoke(null, type.name());
        if (!packed) {
            Method multiply = matMulClass.getMethod("multiply", typeClass, MemorySegment.class, long.class, int.class,
                    int.class, float[].class, int.class, int.class, float[].class, int.class);
            return new Side(dir.toString(), (AutoCloseable) pool, matMul, multiply, new Object[] {theirType});
        }
        Class<?> packedClass = loader.loadClass("org.ristretto.cpu.kernel.PackedMatrix");
        Method pack = matMulClass.getMethod("pack", typeClass, MemorySegment.class, long.class, int.class, int.class,
                SegmentAllocator.class);
        Object[] copies = new Object[matrices.length];
        for (int i = 0; i < matrices.length; i++) {
            copies[i] = pack.invoke(matMul, theirType, matrices[i], 0L, rows, cols, copyMemory);
        }
        Method multiply = matMulClass.getMethod("multiply", packedClass, float[].class, int.class, int.class,
                float[].class, int.class);
        return new Side(dir.toString(), (AutoCloseable) pool, matMul, multiply, copies);
    }

    private URL classes(Path dir, String module) throws MalformedURLException {
        Path p = dir.resolve(module).resolve("target").resolve("classes");
        if (!Files.isDirectory(p)) {
            throw new CommandLine.ParameterException(spec.commandLine(), p + " does not exist: build that checkout "
                    + "first (mvn -DskipTests package)");
        }
        return p.toUri().toURL();
    }

    /** Products for about {@link #seconds}, cycling through the matrices; returns products per second. */
    private double turn(Side s, MemorySegment[] matrices, float[] x, int rows, int cols, float[] out)
            throws IllegalAccessException, InvocationTargetException {
        int count = matrices.length;
        long t0 = System.nanoTime();
        long limit = (long) (seconds * 1e9);
        int n = 0;
        do {
            product(s, matrices, n % count, x, rows, cols, out);
            n++;
        } while (System.nanoTime() - t0 < limit);
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    private void product(Side s, MemorySegment[] matrices, int m, float[] x, int rows, int cols, float[] out)
            throws IllegalAccessException, InvocationTargetException {
        if (packed) {
            s.multiply().invoke(s.matMul(), s.operands()[m], x, 0, tokens, out, 0);
        } else {
            s.multiply().invoke(s.matMul(), s.operands()[0], matrices[m], 0L, rows, cols, x, 0, tokens, out, 0);
        }
    }

    private void report(PrintWriter out, double[][] rates, float[][] outputs, String unit) {
        double[] ra = new double[rounds];
        double[] rb = new double[rounds];
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            ra[r] = (rates[0][r] + rates[3][r]) / 2;
            rb[r] = (rates[1][r] + rates[2][r]) / 2;
            ratio[r] = rb[r] / ra[r];
        }
        double diff = 0;
        for (int i = 0; i < outputs[0].length; i++) {
            diff = Math.max(diff, Math.abs(outputs[0][i] - outputs[1][i]));
        }
        out.printf("A %s: median %.1f %s%n", a, median(ra), unit);
        out.printf("B %s: median %.1f %s%n", b, median(rb), unit);
        Arrays.sort(ratio);
        out.printf("B/A per round: median %.3f, range %.3f..%.3f (%d rounds)%n", median(ratio), ratio[0],
                ratio[rounds - 1], rounds);
        out.printf("largest |A - B| of one product of the first matrix: %g%n", diff);
        out.flush();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** {@code BuildAb --a DIR --b DIR [--type Q4_0] [--shape 8192x2048] [--tokens 512] [--packed] ...}. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new BuildAb()).execute(args));
    }
}
