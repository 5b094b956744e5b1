package org.ristretto.core.chat;

import java.util.List;

/** The conversations the chat-template tests render. */
final class Conversations {
    private Conversations() {}

    static final String SYSTEM = "You are a helpful assistant.";
    static final String USER_1 = "Hello!";
    static final String ASSISTANT_1 = "Hi! How can I help?";
    static final String USER_2 = "What is 2+2?";

    /** system, user, assistant, user: the shape every template is checked with. */
    static final List<ChatMessage> FOUR_TURNS = List.of(
            ChatMessage.system(SYSTEM), ChatMessage.user(USER_1), ChatMessage.assistant(ASSISTANT_1),
            ChatMessage.user(USER_2));

    /** The same without the system message. */
    static final List<ChatMessage> THREE_TURNS = FOUR_TURNS.subList(1, 4);

    /** Two user messages in a row: templates that check alternation must refuse it. */
    static final List<ChatMessage> NOT_ALTERNATING = List.of(
            ChatMessage.system(SYSTEM), ChatMessage.user(USER_1), ChatMessage.user(USER_2));
}
