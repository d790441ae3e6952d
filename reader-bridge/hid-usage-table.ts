/**
 * USB HID keyboard usages (usage page 0x07) to US ASCII, unshifted and shifted. The scanner
 * sends usages, i.e. key positions; decoding them with a fixed US table instead of the
 * host's layout is what keeps a PC set to ЙЦУКЕН from turning "PG1:" into "ЗП1Ж".
 * Letters are listed lower-case: Shift and Caps Lock are applied by the decoder.
 */
const UNSHIFTED: Record<number, string> = {};
const SHIFTED: Record<number, string> = {};

const letters = "abcdefghijklmnopqrstuvwxyz";
for (let i = 0; i < letters.length; i++) {
  UNSHIFTED[0x04 + i] = letters[i]!;
  SHIFTED[0x04 + i] = letters[i]!.toUpperCase();
}
const digits = "1234567890";
const digitsShifted = "!@#$%^&*()";
for (let i = 0; i < 10; i++) {
  UNSHIFTED[0x1e + i] = digits[i]!;
  SHIFTED[0x1e + i] = digitsShifted[i]!;
}
const punctuation: [number, string, string][] = [
  [0x2c, " ", " "],
  [0x2d, "-", "_"],
  [0x2e, "=", "+"],
  [0x2f, "[", "{"],
  [0x30, "]", "}"],
  [0x31, "\\", "|"],
  [0x32, "#", "~"], // non-US # and ~, where a US keyboard has none
  [0x33, ";", ":"],
  [0x34, "'", '"'],
  [0x35, "`", "~"],
  [0x36, ",", "<"],
  [0x37, ".", ">"],
  [0x38, "/", "?"],
  // Keypad, with Num Lock on as scanners assume; Shift does not change them.
  [0x54, "/", "/"],
  [0x55, "*", "*"],
  [0x56, "-", "-"],
  [0x57, "+", "+"],
  [0x63, ".", "."],
];
for (const [usage, plain, shifted] of punctuation) {
  UNSHIFTED[usage] = plain;
  SHIFTED[usage] = shifted;
}
const keypadDigits = "1234567890";
for (let i = 0; i < 10; i++) {
  UNSHIFTED[0x59 + i] = keypadDigits[i]!;
  SHIFTED[0x59 + i] = keypadDigits[i]!;
}

export const USAGE_ENTER = 0x28;
export const USAGE_KEYPAD_ENTER = 0x58;
export const USAGE_CAPS_LOCK = 0x39;
/** Reported in every key slot when too many keys are down (phantom state): no key information. */
export const USAGE_ERROR_ROLLOVER = 0x01;
const LETTER_FIRST = 0x04;
const LETTER_LAST = 0x1d;

/** The character a usage types, or undefined for a key that types none we accept (Esc, F1, arrows…). */
export function usageToChar(usage: number, shift: boolean, capsLock: boolean): string | undefined {
  const isLetter = usage >= LETTER_FIRST && usage <= LETTER_LAST;
  // Caps Lock inverts Shift for letters only, as on a real keyboard.
  const shifted = isLetter && capsLock ? !shift : shift;
  return (shifted ? SHIFTED : UNSHIFTED)[usage];
}

/** The usage and Shift state that type `ch` on a US keyboard (for tests and recordings). */
export function charToUsage(ch: string): { usage: number; shift: boolean } | undefined {
  for (const [table, shift] of [
    [UNSHIFTED, false],
    [SHIFTED, true],
  ] as const) {
    for (const [usage, c] of Object.entries(table)) {
      if (c === ch && Number(usage) < 0x54) return { usage: Number(usage), shift };
    }
  }
  return undefined;
}
