/**
 * Strict RFC 9285 base45 decoding.
 *
 * Written here rather than taken from npm because the packages there decode leniently
 * (a character outside the alphabet or a triple above 65535 turns into some bytes) and
 * the gate must reject exactly those inputs as malformed (RFC 9285 section 6).
 */

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/** Char code → value, or -1 for characters outside the alphabet. */
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

function valueAt(text: string, i: number): number {
  const code = text.charCodeAt(i);
  return code < 128 ? (VALUE[code] ?? -1) : -1;
}

/**
 * Decodes base45 text, or returns `null` when it is not valid base45: a character
 * outside the alphabet, a length of 3n+1, a triple above 65535 or a pair above 255.
 */
export function decodeBase45(text: string): Uint8Array | null {
  const rest = text.length % 3;
  if (rest === 1) return null;
  const out = new Uint8Array(Math.floor(text.length / 3) * 2 + (rest === 2 ? 1 : 0));
  let o = 0;
  let i = 0;
  for (; i + 3 <= text.length; i += 3) {
    const c = valueAt(text, i);
    const d = valueAt(text, i + 1);
    const e = valueAt(text, i + 2);
    if (c < 0 || d < 0 || e < 0) return null;
    const n = c + d * 45 + e * 2025;
    if (n > 0xffff) return null;
    out[o++] = n >> 8;
    out[o++] = n & 0xff;
  }
  if (rest === 2) {
    const c = valueAt(text, i);
    const d = valueAt(text, i + 1);
    if (c < 0 || d < 0) return null;
    const n = c + d * 45;
    if (n > 0xff) return null;
    out[o] = n;
  }
  return out;
}

/** Encodes bytes as base45 (used by the simulator's phone and by tests). */
export function encodeBase45(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 <= bytes.length; i += 2) {
    let n = ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
    const c = n % 45;
    n = (n - c) / 45;
    const d = n % 45;
    const e = (n - d) / 45;
    out += ALPHABET[c]! + ALPHABET[d]! + ALPHABET[e]!;
  }
  if (i < bytes.length) {
    const n = bytes[i] ?? 0;
    out += ALPHABET[n % 45]! + ALPHABET[Math.floor(n / 45)]!;
  }
  return out;
}
