package org.ristretto.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ristretto.cli.InfoCommandTest.shared;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** {@code ristretto logits} against the reference logits of stories260K at positions 0-2. */
class LogitsCommandTest {

    private static JsonNode reference() throws IOException {
        return new ObjectMapper().readTree(shared("reference/stories260K-greedy.json").toFile())
                .get("variants").get("llama2c/stories260K.bin (f32)");
    }

    @Test
    void jsonLogitsOfEveryPositionMatchTheReference() throws IOException {
        JsonNode ref = reference();
        int first = ref.get("ids").get(0).asInt();
        int second = ref.get("ids").get(1).asInt();
        CliRunner r = CliRunner.run("logits", "-m", shared("gguf/stories260K-f32.gguf").toString(),
                "--ids", "1," + first + "," + second, "--all", "--json", "--cache-type", "f32");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode doc = new ObjectMapper().readTree(r.out());
        assertEquals(3, doc.get("ids").size());
        assertEquals(3, doc.get("logits").size());
        for (int pos = 0; pos < 3; pos++) {
            JsonNode got = doc.get("logits").get(pos);
            JsonNode want = ref.get("logits").get(pos);
            assertEquals(want.size(), got.size());
            for (int i = 0; i < want.size(); i++) {
                assertEquals(want.get(i).asDouble(), got.get(i).asDouble(), 1e-4, "position " + pos + " token " + i);
            }
        }
    }

    @Test
    void textShowsTheTopTokensOfTheLastPosition() throws IOException {
        int first = reference().get("ids").get(0).asInt();
        CliRunner r = CliRunner.run("logits", "-m", shared("gguf/stories260K-f32.gguf").toString(), "-p", "",
                "--top", "3");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("position 0 (after token 1 '<s>'):"), r.out());
        String[] lines = r.out().split("\n");
        assertEquals(4, lines.length, r.out());
        assertTrue(lines[1].trim().startsWith(first + " "), lines[1]);
    }

    @Test
    void badInputIsAUsageError() {
        String model = shared("gguf/stories260K-f32.gguf").toString();
        CliRunner outside = CliRunner.run("logits", "-m", model, "--ids", "1,99999");
        assertEquals(2, outside.exitCode());
        assertTrue(outside.err().contains("99999"), outside.err());
        assertEquals(2, CliRunner.run("logits", "-m", model, "--ids", "1,x").exitCode());
        assertEquals(2, CliRunner.run("logits", "-m", model).exitCode());
    }
}
