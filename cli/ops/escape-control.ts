/** C0 (but newline), DEL and C1 control characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text from outside (the broker, the registry) made safe to print: control characters
 * (ESC sequences could rewrite the operator's terminal) become `\xNN`; newlines stay.
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
