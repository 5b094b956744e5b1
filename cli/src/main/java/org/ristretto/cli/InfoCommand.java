package org.ristretto.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.ristretto.core.gguf.GgufArray;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufTensorInfo;
import org.ristretto.core.gguf.GgufValue;
import org.ristretto.core.gguf.GgufValueType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code ristretto info}: what a GGUF file holds: metadata, tensors, parameter count and bytes per type. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show a GGUF file's metadata, tensor table, parameter count and bytes per type.")
final class InfoCommand implements Callable<Integer> {
    private static final int ARRAY_ITEMS_SHOWN = 5;

    @Parameters(index = "0", paramLabel = "FILE", description = "The GGUF file.")
    Path file;

    @Option(names = "--json", description = "Print one JSON document instead of text, for scripts.")
    boolean json;

    @Option(names = "--verbose", description = "Show a stack trace when something fails.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (GgufFile gguf = GgufFile.open(file)) {
            if (json) {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(toJson(gguf)));
            } else {
                printText(gguf, out);
            }
        }
        out.flush();
        return 0;
    }

    private record TypeTotals(int tensors, long elements, long bytes) {
        TypeTotals plus(GgufTensorInfo t) {
            return new TypeTotals(tensors + 1, elements + t.elementCount(), bytes + t.byteSize());
        }
    }

    private static Map<String, TypeTotals> totalsByType(GgufFile gguf) {
        Map<String, TypeTotals> totals = new TreeMap<>();
        for (GgufTensorInfo t : gguf.tensors()) {
            totals.merge(t.type().name(), new TypeTotals(1, t.elementCount(), t.byteSize()),
                    (a, b) -> a.plus(t));
        }
        return totals;
    }

    private static long parameterCount(GgufFile gguf) {
        return gguf.tensors().stream().mapToLong(GgufTensorInfo::elementCount).sum();
    }

    private void printText(GgufFile gguf, PrintWriter out) {
        String name = gguf.metadata().findString("general.name").orElse("(unnamed)");
        out.printf("file:         %s (%s)%n", file, Sizes.bytes(gguf.fileSize()));
        out.printf("format:       GGUF v%d, alignment %d, data at byte %d%n",
                gguf.version(), gguf.alignment(), gguf.dataOffset());
        out.printf("architecture: %s%n", gguf.architecture());
        out.printf("name:         %s%n", name);
        long params = parameterCount(gguf);
        out.printf("parameters:   %d (%s)%n", params, Sizes.count(params));
        out.println("bytes per type:");
        totalsByType(gguf).forEach((type, t) -> out.printf("  %-8s %4d tensors %14d params %12s%n",
                type, t.tensors(), t.elements(), Sizes.bytes(t.bytes())));
        out.printf("%nmetadata (%d keys):%n", gguf.metadata().size());
        gguf.metadata().asMap().forEach((k, v) ->
                out.printf("  %-48s %-8s %s%n", k, typeName(v), oneLine(v.display(), 160)));
        out.printf("%ntensors (%d):%n", gguf.tensors().size());
        int width = gguf.tensors().stream().mapToInt(t -> t.name().length()).max().orElse(4);
        out.printf("  %-" + width + "s  %-7s %-24s %12s %12s%n", "name", "type", "shape", "bytes", "offset");
        for (GgufTensorInfo t : gguf.tensors()) {
            out.printf("  %-" + width + "s  %-7s %-24s %12d %12d%n",
                    t.name(), t.type().name(), t.shapeString(), t.byteSize(), gguf.dataOffset() + t.offset());
        }
    }

    private static String typeName(GgufValue v) {
        return v.type() == GgufValueType.ARRAY ? "ARRAY" : v.type().name();
    }

    private static String oneLine(String s, int max) {
        String flat = s.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
        return flat.length() <= max ? flat : flat.substring(0, max) + "… (" + s.length() + " chars)";
    }

    private ObjectNode toJson(GgufFile gguf) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("file", file.toString());
        root.put("file_size", gguf.fileSize());
        root.put("version", gguf.version());
        root.put("alignment", gguf.alignment());
        root.put("data_offset", gguf.dataOffset());
        root.put("architecture", gguf.architecture());
        root.put("name", gguf.metadata().findString("general.name").orElse(null));
        root.put("parameters", parameterCount(gguf));
        ObjectNode perType = root.putObject("bytes_per_type");
        totalsByType(gguf).forEach((type, t) -> perType.putObject(type)
                .put("tensors", t.tensors()).put("parameters", t.elements()).put("bytes", t.bytes()));
        ObjectNode meta = root.putObject("metadata");
        gguf.metadata().asMap().forEach((k, v) -> meta.set(k, valueJson(m, v)));
        ArrayNode tensors = root.putArray("tensors");
        for (GgufTensorInfo t : gguf.tensors()) {
            ObjectNode n = tensors.addObject();
            n.put("name", t.name());
            n.put("type", t.type().name());
            ArrayNode shape = n.putArray("shape");
            for (long d : t.dims()) {
                shape.add(d);
            }
            n.put("elements", t.elementCount());
            n.put("bytes", t.byteSize());
            n.put("offset", gguf.dataOffset() + t.offset());
        }
        return root;
    }

    private static ObjectNode valueJson(ObjectMapper m, GgufValue v) {
        ObjectNode n = m.createObjectNode();
        n.put("type", v.type().name());
        if (v.type() == GgufValueType.ARRAY) {
            GgufArray a = (GgufArray) v.value();
            n.put("element_type", a.elementType().name());
            n.put("length", a.length());
            ArrayNode first = n.putArray("first");
            for (int i = 0; i < Math.min(ARRAY_ITEMS_SHOWN, a.length()); i++) {
                switch (a.elementType()) {
                    case STRING -> first.add(a.strings()[i]);
                    case FLOAT32, FLOAT64 -> first.add(a.getDouble(i));
                    case BOOL -> first.add(a.getLong(i) != 0);
                    case ARRAY -> first.add(((GgufArray[]) a.values())[i].summary(ARRAY_ITEMS_SHOWN));
                    default -> first.add(a.getLong(i));
                }
            }
        } else {
            switch (v.type()) {
                case STRING -> n.put("value", (String) v.value());
                case FLOAT32 -> n.put("value", (Float) v.value());
                case FLOAT64 -> n.put("value", (Double) v.value());
                case BOOL -> n.put("value", (Boolean) v.value());
                case UINT64 -> n.put("value", new java.math.BigInteger(Long.toUnsignedString(v.asLong())));
                default -> n.put("value", v.asLong());
            }
        }
        return n;
    }
}
