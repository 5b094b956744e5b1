package org.ristretto.cli.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * llama-bench's syntax for lists of lengths ({@code -p}, {@code -n}, {@code -d}): comma-separated items, each a number
 * or a range {@code first-last}, {@code first-last+step} or {@code first-last*factor} (last included when reached):
 * {@code 0,128-512*2} is 0, 128, 256, 512.
 */
public final class LengthList {
    private static final Pattern ITEM = Pattern.compile("(\\d+)(?:-(\\d+)(?:([+*])(\\d+))?)?");
    /** More values than any benchmark needs; stops {@code 1-2000000000} from filling the heap. */
    private static final int MAX_VALUES = 10_000;

    private LengthList() {}

    /**
     * The values of {@code items} (already split at commas), in order.
     *
     * @param flag the flag, for messages
     * @throws IllegalArgumentException naming the flag and the item that is not a length or a valid range
     */
    public static List<Integer> parse(String flag, List<String> items) {
        List<Integer> values = new ArrayList<>();
        for (String raw : items) {
            String item = raw.strip();
            Matcher m = ITEM.matcher(item);
            if (!m.matches()) {
                throw new IllegalArgumentException(flag + " takes lengths >= 0 or ranges like 128-512*2, not '" + raw
                        + "'");
            }
            int first = number(flag, m.group(1));
            int last = m.group(2) == null ? first : number(flag, m.group(2));
            boolean multiply = "*".equals(m.group(3));
            int step = m.group(4) == null ? 1 : number(flag, m.group(4));
            if (last < first || (multiply ? step < 2 || first == 0 : step < 1)) {
                throw new IllegalArgumentException(flag + ": range '" + raw + "' never reaches its end");
            }
            for (long v = first; v <= last; v = multiply ? v * step : v + step) {
                values.add((int) v);
                if (values.size() > MAX_VALUES) {
                    throw new IllegalArgumentException(flag + ": more than " + MAX_VALUES + " lengths");
                }
            }
        }
        return values;
    }

    private static int number(String flag, String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + ": " + digits + " is too large");
        }
    }
}
