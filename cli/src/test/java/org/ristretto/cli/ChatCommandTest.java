package org.ristretto.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ristretto.cli.InfoCommandTest.shared;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code ristretto chat} driven through standard input. */
class ChatCommandTest {

    @Test
    void theSecondTurnReusesTheCachedConversation() {
        CliRunner r = CliRunner.runWithInput("Tell me a story\nAnother one\n/exit\n", "chat", "-m",
                shared("gguf/stories260K-f32.gguf").toString(), "--chat-template", "chatml", "--temp", "0",
                "-n", "12", "--system", "You tell stories.");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("chat template: built-in 'chatml'"), r.err());
        Matcher m = Pattern.compile("prompt: (\\d+) tokens \\((\\d+) reused").matcher(r.err());
        List<int[]> turns = m.results().map(x -> new int[] {Integer.parseInt(x.group(1)), Integer.parseInt(x.group(2))})
                .toList();
        assertEquals(2, turns.size(), r.err());
        assertEquals(0, turns.get(0)[1], "nothing cached before the first turn");
        int firstTurnTokens = turns.get(0)[0];
        assertTrue(turns.get(1)[1] >= firstTurnTokens, "second turn reused " + turns.get(1)[1]
                + " tokens; the first prompt alone was " + firstTurnTokens);
        assertEquals(3, r.out().split("> ", -1).length - 1, "three prompts: two turns and /exit\n" + r.out());
    }

    @Test
    void endOfInputEndsTheChatAndAMissingTemplateIsAClearError() {
        String model = shared("gguf/stories260K-f32.gguf").toString();
        CliRunner eof = CliRunner.runWithInput("", "chat", "-m", model, "--chat-template", "llama2");
        assertEquals(0, eof.exitCode(), eof.err());
        CliRunner none = CliRunner.runWithInput("hi\n", "chat", "-m", model);
        assertEquals(1, none.exitCode());
        assertTrue(none.err().contains("chat template") && !none.err().contains("\tat "), none.err());
    }
}
