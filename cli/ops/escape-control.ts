/** C0 (but newline), DEL and C1 control characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;
/** Every C0 control (newline too), DEL, C1 and the Unicode line and paragraph separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
/** What JSON.stringify leaves raw although a terminal may act on it: DEL, C1, U+2028/2029. */
const JSON_RAW = /[\u007f-\u009f\u2028\u2029]/g;

const hex = (c: string): string => {
  const code = c.charCodeAt(0);
  return code > 0xff
    ? `\\u${code.toString(16).padStart(4, "0")}`
    : `\\x${code.toString(16).padStart(2, "0")}`;
};

/**
 * Text from outside (the broker, the registry) made safe to print: control characters
 * (ESC sequences could rewrite the operator's terminal) become `\xNN`; newlines stay.
 * For a block of text that is meant to span lines (a pretty-printed JSON state).
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, hex);
}

/**
 * One value printed within a line (a person id, a display name, a registry's error
 * message): every control character, newline included, becomes `\xNN` and the Unicode
 * line separators `\u2028`/`\u2029`, so the value can neither repaint the terminal nor
 * forge a line of its own, on a terminal or in a pipe read by a script.
 */
export function escapeLine(text: string): string {
  return text.replace(LINE_BREAKING, hex);
}

/**
 * `JSON.stringify(value, null, indent)` with DEL, the C1 controls and U+2028/2029 written
 * as `\uNNNN` too (JSON.stringify escapes only U+0000–U+001F): still valid JSON that
 * parses to the same value, but nothing in it a terminal acts on.
 */
export function safeJson(value: unknown, indent?: number): string {
  const text = JSON.stringify(value, null, indent);
  return text === undefined
    ? "null"
    : text.replace(JSON_RAW, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
