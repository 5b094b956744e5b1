package org.ristretto.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The llama.cpp half of {@link BenchVsLlamaCpp}: runs one llama-bench test at a time, either in this process
 * ({@link InProcess}: build 4916 from the {@code de.kherud:llama} jar) or as a llama-bench program of the user's own
 * ({@link LlamaBenchProcess}: a native build for this machine's instruction set).
 */
interface LlamaCppSide extends AutoCloseable {

    /** One test's figures, and its object in llama-bench's JSON. */
    record Measured(double avgTs, double stddevTs, ObjectNode json) {}

    /** Runs one test with the settings the side was opened with. */
    Measured run(LlamaBenchTest test) throws Exception;

    /** The model as llama.cpp describes it ({@code llama 1B Q4_0}). */
    String modelDescription() throws Exception;

    /** Which llama.cpp this is: build, commit and the CPU features it was compiled for, where known. */
    String buildDescription() throws Exception;

    @Override
    void close();

    /** The library of the {@code de.kherud:llama} jar, loaded into this process. */
    final class InProcess implements LlamaCppSide {
        private final LlamaCppPeer peer;
        private final LlamaBenchReport report;

        InProcess(LlamaCppPeer peer) {
            this.peer = peer;
            LlamaCppNative lib = LlamaCppNative.get();
            this.report = new LlamaBenchReport(lib.commit(), lib.buildNumber());
        }

        @Override
        public Measured run(LlamaBenchTest test) {
            LlamaBenchResult r = peer.run(test);
            return new Measured(r.avgTs(), r.stddevTs(), report.toJson(r));
        }

        @Override
        public String modelDescription() {
            return peer.model().description();
        }

        @Override
        public String buildDescription() {
            LlamaCppNative lib = LlamaCppNative.get();
            return "build " + lib.buildNumber() + " (" + lib.commit() + ") from the de.kherud:llama jar; "
                    + lib.systemInfo();
        }

        @Override
        public void close() {
            peer.close();
        }
    }
}
