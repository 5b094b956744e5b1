package org.ristretto.core.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ristretto.core.chat.Conversations.FOUR_TURNS;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Jinja2 behaviour chat templates rely on, each case against what Python's Jinja2 in Hugging Face's environment
 * ({@code trim_blocks}, {@code lstrip_blocks}, its {@code tojson}) prints for the same template (values worked out
 * from Python's documented semantics and checked there).
 */
class JinjaFeaturesTest {

    private static String render(String template) {
        return render(template, FOUR_TURNS);
    }

    private static String render(String template, List<ChatMessage> messages) {
        return new ChatTemplate("test", template, "<s>", "</s>").render(messages, true);
    }

    @Test
    void raiseExceptionSurfacesTheTemplatesMessage() {
        // The alternation check of Hugging Face's Llama 2 style templates.
        String template = "{% for message in messages[1:] %}"
                + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
                + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
                + "{% endif %}{{ message['content'] }}{% endfor %}";
        ChatTemplateRaisedException e = assertThrows(ChatTemplateRaisedException.class, () -> render(template,
                List.of(ChatMessage.system("s"), ChatMessage.assistant("a"), ChatMessage.user("u"))));
        assertEquals("Conversation roles must alternate user/assistant/user/assistant/...", e.templateMessage());
        assertEquals("chat template test rejected the conversation: Conversation roles must alternate "
                + "user/assistant/user/assistant/...", e.getMessage());
        assertEquals("Hello!Hi! How can I help?What is 2+2?", render(template));
    }

    @Test
    void syntaxErrorsAndUnknownMethodsAreClearErrors() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> render("a\n{{ messages[0] + }}"));
        assertTrue(e.getMessage().startsWith("chat template test failed to render: line 2: "), e.getMessage());
        e = assertThrows(ChatTemplateException.class, () -> render("{{ 'x'.frobnicate() }}"));
        assertTrue(e.getMessage().contains("str has no method 'frobnicate'"), e.getMessage());
        e = assertThrows(ChatTemplateException.class, () -> render("{{ strftime_now('%Q') }}"));
        assertTrue(e.getMessage().contains("strftime directive %Q is not supported"), e.getMessage());
    }

    @Test
    void messagesIndexingAndSlicing() {
        assertEquals("system|user|What is 2+2?", render("{{ messages[0]['role'] }}|{{ messages[1].role }}|"
                + "{{ messages[-1]['content'] }}"));
        assertEquals("user,assistant,user,", render("{% for m in messages[1:] %}{{ m.role }},{% endfor %}"));
        assertEquals("user,assistant,user,system,", render("{% for m in messages[::-1] %}{{ m.role }},{% endfor %}"));
        assertEquals("user,user,", render("{% for m in messages[1::2] %}{{ m.role }},{% endfor %}"));
        assertEquals("acebdffdb[3, 2, 1]|cdefghijk|ab|ae",
                render("{{ 'abcdef'[::2] }}{{ 'abcdef'[1::2] }}{{ 'abcdef'[::-2] }}{{ [1,2,3,4][-2::-1] }}|"
                        + "{{ 'abcdefghijk'[-9:] }}|{{ 'abc'[:-1] }}|{{ 'abc'[0] }}{{ 'cde'[-1] }}"));
    }

    @Test
    void loopVariablesAndLoopFilters() {
        assertEquals("0:True:False:1/4 1:False:False:2/4 2:False:False:3/4 3:False:True:4/4 ",
                render("{% for m in messages %}{{ loop.index0 }}:{{ loop.first }}:{{ loop.last }}:"
                        + "{{ loop.index }}/{{ loop.length }} {% endfor %}"));
        assertEquals("1:2,2:4",
                render("{% for x in [1, 2, 3, 4] if x is even %}{{ loop.index }}:{{ x }}"
                        + "{{ ',' if not loop.last }}{% endfor %}"));
        assertEquals("a=1 c=3 ", render("{% for k, v in {'a': 1, 'return': 2, 'c': 3}.items() if k != 'return' %}"
                + "{{ k }}={{ v }} {% endfor %}"));
    }

    @Test
    void namespaceAttributesSurviveTheLoop() {
        // Qwen3's pattern: a keyword argument holding a whole expression, then assignment inside a loop.
        assertEquals("3 1", render("{%- set ns = namespace(last=messages|length - 1, users=0) %}"
                + "{%- for m in messages %}{% if m.role == 'user' %}{% set ns.users = ns.users + 1 %}"
                + "{% set ns.last = loop.index0 %}{% endif %}{% endfor %}{{ ns.last }} {{ ns.users - 1 }}"));
    }

    @Test
    void testsAndFilters() {
        assertEquals("True False True True False 4 [sys]",
                render("{{ messages is defined }} {{ tools is defined }} {{ messages[0].content is string }} "
                        + "{{ none is none }} {{ 'x' in 'abc' }} {{ messages|length }} "
                        + "[{{ '\u00a0 sys\n'|trim }}]"));
    }

    @Test
    void operatorsBindAsInJinja2() {
        assertEquals("True True True True False", render("{{ not messages[0].role == 'user' }} "
                + "{{ not messages|length > 5 }} {{ not 'x' in 'abc' }} {{ messages|length is divisibleby 2 }} "
                + "{{ messages[0].content|trim is not string }}"));
        // "{{ -" is a negative number, not whitespace control ("{{-" is).
        assertEquals("a -2 1024 3.5 1", render("a {{ -3 // 2 }} {{ 2 ** 10 }} {{ 7 / 2 }} {{ 7 % 3 }}"));
    }

    @Test
    void pythonStringMethods() {
        assertEquals("a b|a|a\n|a|", render("{{ '  a b  '.strip() }}|{{ 'xxaxx'.strip('x') }}|"
                + "{{ '\\n\\na\\n'.lstrip('\\n') }}|{{ 'a \\t'.rstrip() }}|"));
        assertEquals("['a', 'b', '', 'c']|['a', 'b']|['a', 'b,c']|['a,b', 'c']|y",
                render("{{ 'a.b..c'.split('.') }}|{{ '  a  b '.split() }}|{{ 'a,b,c'.split(',', 1) }}|"
                        + "{{ 'a,b,c'.rsplit(',', 1) }}|{{ 'x</think>y'.split('</think>')[-1] }}"));
        assertEquals("True True False", render("{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'c')) }} "
                + "{{ 'abc'.startswith('b') }}"));
        assertEquals("HELLO WORLD hello They'Re 2Nd-Best Hello", render("{{ 'hello wORLD'.upper() }} "
                + "{{ 'Hello'.lower() }} {{ \"they're 2nd-best\".title() }} {{ 'hELLO'.capitalize() }}"));
        assertEquals("a+b+c ab-c 2 + 2 = 4", render("{{ 'a-b-c'.replace('-', '+') }} "
                + "{{ 'a-b-c'.replace('-', '', 1) }} {{ '{} + {} = {sum}'.format(2, 2, sum=4) }}"));
        assertEquals("a, b 2 2 4 ['a', 'b', 'c'] True False", render("{{ ', '.join(['a', 'b']) }} "
                + "{{ 'banana'.count('an') }} {{ 'banana'.find('n') }} {{ 'banana'.rfind('n') }} "
                + "{{ 'a\\nb\\r\\nc'.splitlines() }} {{ '42'.isdigit() }} {{ 'Ab'.isupper() }}"));
        assertEquals("dflt system", render("{{ messages[0].get('name', 'dflt') }} {{ messages[0].get('role') }}"));
    }

    @Test
    void tojsonIsPythonJsonDumps() {
        assertEquals("{\"b\": [1, 2.5, 1e-05, 1e+16, \"\u00e9\\n\\\"\\\\\", null, true], \"a\": {}}",
                render("{{ {'b': [1, 2.5, 1e-05, 1e16, '\u00e9\\n\"\\\\', none, true], 'a': {} } | tojson }}"));
        assertEquals("{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": 1\n}",
                render("{{ {'b': 1, 'a': [1, 2]} | tojson(indent=2, sort_keys=true) }}"));
        assertEquals("{\"a\":[1,2]}", render("{{ {'a': [1, 2]} | tojson(separators=(',', ':')) }}"));
        assertEquals("\"\\u0001\\t\"", render("{{ '\\x01\\t' | tojson }}"));
        assertEquals("[{\"role\": \"system\", \"content\": \"You are a helpful assistant.\"}]",
                render("{{ messages[:1] | tojson }}"));
    }

    @Test
    void pythonValuePrintingAndStringEscapes() {
        assertEquals("True False 0.30000000000000004 [1, 'a', None] {'k': True}",
                render("{{ true }} {{ 1 > 2 }} {{ 0.1 + 0.2 }} {{ [1, 'a', none] }} {{ {'k': true} }}"));
        assertEquals("\u00e9AA\u2022|a\\qb|ab", render("{{ '\\u00e9\\x41\\101\\N{BULLET}' }}|{{ 'a\\qb' }}|"
                + "{{ 'a\\\nb' }}"));
    }

    @Test
    void whitespaceControlLikeJinja2() {
        // trim_blocks eats the newline after a tag; lstrip_blocks only the indentation before a tag at line start.
        assertEquals("x\n  y  z", render("x\n   {% if true %}\n  y  {% endif %}\nz"));
        assertEquals("USER: Hello! ASSISTANT:", render("USER: {{ messages[1].content }} {% if true %}ASSISTANT:"
                + "{% endif %}"));
        assertEquals("ab", render("a  {{- '' -}}  \n  b"));
        assertEquals("q", render("  {# note #}\nq"));
    }

    @Test
    void renderedValuesAreNeverInterpretedAgain() {
        List<ChatMessage> sneaky = List.of(ChatMessage.user("{{ raise_exception('boom') }} {% if true %}x{% endif %}"));
        assertEquals("{{ raise_exception('boom') }} {% if true %}x{% endif %}",
                render("{{ messages[0].content }}", sneaky));
    }

    @Test
    void strftimeNowReadsTheConfiguredClock() {
        Clock clock = Clock.fixed(Instant.parse("2024-07-26T09:05:03Z"), ZoneOffset.UTC);
        ChatTemplate t = new ChatTemplate("dated", "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S %A %B %j %p %-d') }}",
                "", "").withClock(clock);
        assertEquals("26 Jul 2024|2024-07-26 09:05:03 Friday July 208 AM 26", t.render(List.of(), true));
    }

    @Test
    void extraVariablesReachTheTemplateButCannotReplaceTheReservedOnes() {
        ChatTemplate t = new ChatTemplate("vars", "{{ enable_thinking }} {{ tools[0].name }}", "", "");
        assertEquals("False get_weather",
                t.render(List.of(), true, Map.of("enable_thinking", false, "tools", List.of(Map.of("name", "get_weather")))));
        assertThrows(IllegalArgumentException.class, () -> t.render(List.of(), true, Map.of("bos_token", "x")));
    }
}
