import QRCode, { type QRCodeErrorCorrectionLevel, type QRCodeSegment } from "qrcode";

/**
 * How the mobile app draws a PG1 token. PG1 is base45 so that the whole text, prefix
 * included, lies in the QR alphanumeric set (5.5 bits a character instead of 8), so it
 * is encoded as ONE alphanumeric segment: a TOTP token (30 characters) fits version 2 and
 * an Ed25519 one (120) version 5. Level M (15 % recovery) because the code is shown on a
 * lit screen, not printed on paper that wears: the damage to recover from is glare and
 * a cracked screen, and M keeps the modules large enough for a scanner at arm's length,
 * where Q would push an Ed25519 code to version 7.
 */
export const QR_ERROR_CORRECTION: QRCodeErrorCorrectionLevel = "M";

/** The QR alphanumeric character set (ISO/IEC 18004 table 5), the same as base45's alphabet. */
const ALPHANUMERIC = /^[0-9A-Z $%*+\-./:]*$/;

/**
 * The segments to encode `text` with: one alphanumeric segment when every character
 * allows it (every well-formed PG1 token does), else one byte segment.
 */
export function qrSegments(text: string): QRCodeSegment[] {
  return ALPHANUMERIC.test(text)
    ? [{ data: text, mode: "alphanumeric" }]
    : [{ data: Buffer.from(text, "utf8"), mode: "byte" }];
}

/** The QR symbol (version, modules, segments) the app would draw for `text`. */
export function qrSymbol(text: string): QRCode.QRCode {
  return QRCode.create(qrSegments(text), { errorCorrectionLevel: QR_ERROR_CORRECTION });
}

/**
 * The QR as text for a terminal, two modules per character cell with half blocks, so a
 * version 5 code is about 21 lines high and fits an 80×24 terminal. With `color` (a TTY
 * without NO_COLOR) it is drawn black on an explicit white background, which scans on
 * dark and light themes alike; without, as plain UTF-8 blocks with no escape codes.
 */
export async function renderTerminalQr(text: string, options: { color: boolean }): Promise<string> {
  const segments = qrSegments(text);
  return options.color
    ? QRCode.toString(segments, { type: "terminal", small: true, errorCorrectionLevel: QR_ERROR_CORRECTION })
    : QRCode.toString(segments, { type: "utf8", errorCorrectionLevel: QR_ERROR_CORRECTION });
}

/** Pixels per module in the PNG: large enough to scan off a monitor from 20–30 cm. */
export const PNG_SCALE = 8;
/** Quiet zone in modules: 4 is what ISO/IEC 18004 requires around the symbol. */
export const PNG_MARGIN = 4;

/** Writes the QR as a PNG of (modules + 2·margin)·scale pixels square. */
export async function writeQrPng(text: string, file: string): Promise<void> {
  await QRCode.toFile(file, qrSegments(text), {
    type: "png",
    errorCorrectionLevel: QR_ERROR_CORRECTION,
    scale: PNG_SCALE,
    margin: PNG_MARGIN,
  });
}
