package org.ristretto.core.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import java.time.Instant;
import java.time.ZonedDateTime;

/**
 * The global functions Hugging Face adds to its chat-template environment. Public static because Jinjava calls them
 * reflectively; they are not meant to be called from Java.
 */
public final class TemplateFunctions {
    private TemplateFunctions() {}

    /** {@code raise_exception(message)}: aborts the render; {@link ChatTemplate} reports the message. */
    public static Object raiseException(Object message) {
        throw new TemplateRaisedException(message == null ? "None" : String.valueOf(message));
    }

    /**
     * {@code strftime_now(format)}: the current local time formatted with Python's {@code strftime}, read from the
     * clock and zone the rendering {@link ChatTemplate} was configured with.
     */
    public static String strftimeNow(String format) {
        JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
        long millis = interpreter.getConfig().getDateTimeProvider().getCurrentTimeMillis();
        ZonedDateTime now = ZonedDateTime.ofInstant(Instant.ofEpochMilli(millis), interpreter.getConfig().getTimeZone());
        return Strftime.format(format, now);
    }

    /** Thrown by {@code raise_exception}; carries the template's own message. */
    static final class TemplateRaisedException extends RuntimeException {
        TemplateRaisedException(String message) {
            super(message);
        }
    }
}
