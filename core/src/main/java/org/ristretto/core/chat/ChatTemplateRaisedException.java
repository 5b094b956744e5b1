package org.ristretto.core.chat;

/**
 * The template itself refused the conversation through {@code raise_exception(message)}, e.g. because roles do not
 * alternate. {@link #templateMessage()} is the template's own text, fit to show to whoever sent the conversation.
 */
public final class ChatTemplateRaisedException extends ChatTemplateException {
    private final String templateMessage;

    public ChatTemplateRaisedException(String templateName, String templateMessage) {
        super("chat template " + templateName + " rejected the conversation: " + templateMessage);
        this.templateMessage = templateMessage;
    }

    /** The message the template passed to {@code raise_exception}. */
    public String templateMessage() {
        return templateMessage;
    }
}
