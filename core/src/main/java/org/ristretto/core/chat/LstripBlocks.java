package org.ristretto.core.chat;

import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.tree.parse.Token;
import com.hubspot.jinjava.tree.parse.TokenScanner;
import com.hubspot.jinjava.tree.parse.TokenScannerSymbols;
import java.util.ArrayList;
import java.util.List;

/**
 * Jinja2's {@code lstrip_blocks}: the spaces and tabs between the start of a line and a block tag or comment are
 * dropped. Jinjava's own option drops the whitespace before every block tag, mid-line too, so
 * {@code "USER: {{ text }} {% if x %}"} would lose the space the model was trained with; that is why Jinjava's option
 * stays off and this one, applied to the token stream of Jinjava's own scanner, is used instead.
 *
 * <p>Jinja2's rule (its lexer): text before a block or comment loses its last line when that line is whitespace only
 * and either the text contains a newline or the token before it ended a line (the template start counts, as does a
 * tag whose newline {@code trim_blocks} removed). A tag written {@code {%+} keeps the whitespace.
 */
final class LstripBlocks {
    private LstripBlocks() {}

    static String apply(String source) {
        JinjavaConfig plain = JinjavaConfig.newBuilder().withTrimBlocks(false).withLstripBlocks(false).build();
        TokenScannerSymbols symbols = plain.getTokenScannerSymbols();
        List<Token> tokens = new ArrayList<>();
        new TokenScanner(source, plain).forEachRemaining(tokens::add);
        StringBuilder joined = new StringBuilder();
        tokens.forEach(t -> joined.append(t.getImage()));
        if (!joined.toString().equals(source)) {
            // The scanner lost or changed text (an unclosed tag, say): leave the source alone and let Jinjava report.
            return source;
        }
        StringBuilder out = new StringBuilder(source.length());
        boolean lineStarting = true;
        for (int i = 0; i < tokens.size(); i++) {
            Token token = tokens.get(i);
            String image = token.getImage();
            boolean beforeBlock = i + 1 < tokens.size() && isBlockOrComment(tokens.get(i + 1), symbols)
                    && !tokens.get(i + 1).getImage().startsWith("{%+");
            if (token.getType() == symbols.getFixed() && beforeBlock) {
                int lineStart = image.lastIndexOf('\n') + 1;
                if ((lineStart > 0 || lineStarting) && image.substring(lineStart).isBlank()) {
                    image = image.substring(0, lineStart);
                }
            }
            out.append(image);
            lineStarting = endsLine(tokens, i, symbols);
        }
        return out.toString();
    }

    private static boolean isBlockOrComment(Token token, TokenScannerSymbols symbols) {
        return token.getType() == symbols.getTag() || token.getType() == symbols.getNote();
    }

    /** Whether the token at {@code i} ends a line: its text ends with one, or trim_blocks eats the one after it. */
    private static boolean endsLine(List<Token> tokens, int i, TokenScannerSymbols symbols) {
        Token token = tokens.get(i);
        if (isBlockOrComment(token, symbols)) {
            return i + 1 < tokens.size() && tokens.get(i + 1).getImage().startsWith("\n");
        }
        return token.getImage().endsWith("\n");
    }
}
