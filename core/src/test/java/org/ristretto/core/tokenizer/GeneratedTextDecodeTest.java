package org.ristretto.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.ristretto.core.testutil.SharedModels;

/**
 * The stories260K greedy outputs give generated ids with the text llama2.c's run.c printed for them; decoding the ids
 * with the tokenizer in the GGUF must give that text, at once and streamed.
 */
class GeneratedTextDecodeTest {
    @Test
    void decodingGeneratedIdsGivesLlama2cText() throws IOException {
        JsonNode variant = new ObjectMapper().readTree(
                        SharedModels.require("reference/stories260K-greedy.json").toFile())
                .get("variants").get("gguf/stories260K-f32.gguf");
        int[] ids = new int[variant.get("ids").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = variant.get("ids").get(i).asInt();
        }
        String text = variant.get("text").asText();
        Tokenizer tok = TokenizerFixtures.load("gguf/stories260K-f32.gguf");
        assertEquals(text, tok.decode(ids), "run.c strips the space of the first piece after BOS, as decode does");
        StreamingDecoder stream = tok.streamingDecoder();
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(stream.accept(id));
        }
        sb.append(stream.flush());
        assertEquals(" " + text, sb.toString(), "a stream keeps the space: it continues the prompt");
    }
}
