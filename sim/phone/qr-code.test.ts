import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import QRCode from "qrcode";
import { describe, expect, it } from "vitest";
import { Phone } from "./phone.js";
import { PNG_MARGIN, PNG_SCALE, qrSegments, qrSymbol, renderTerminalQr, writeQrPng } from "./qr-code.js";

// No QR decoder package is installed: the PNG is read back with zlib instead, its module
// grid sampled and compared with the symbol qrcode.create() makes for the same text.

interface Png {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colorType: number;
  /** Whether the pixel at (x, y) is dark. */
  dark(x: number, y: number): boolean;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

function readPng(file: Buffer): Png {
  expect(file.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let ihdr: Buffer | undefined;
  const idat: Buffer[] = [];
  while (offset < file.length) {
    const length = file.readUInt32BE(offset);
    const type = file.toString("ascii", offset + 4, offset + 8);
    const data = file.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") ihdr = data;
    if (type === "IDAT") idat.push(data);
    offset += 12 + length;
    if (type === "IEND") break;
  }
  if (ihdr === undefined) throw new Error("no IHDR chunk");
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const bitDepth = ihdr[8]!;
  const colorType = ihdr[9]!;
  const bpp = CHANNELS[colorType]!;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const pixels = Buffer.alloc(height * stride);
  // Undo the per-row filters (PNG spec §9) so pixels can be sampled.
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i]!;
      const a = i >= bpp ? pixels[y * stride + i - bpp]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + i]! : 0;
      const c = i >= bpp && y > 0 ? pixels[(y - 1) * stride + i - bpp]! : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter];
      if (predictor === undefined) throw new Error(`unknown PNG filter ${filter}`);
      pixels[y * stride + i] = (x + predictor) & 0xff;
    }
  }
  return { width, height, bitDepth, colorType, dark: (x, y) => pixels[y * stride + x * bpp]! < 128 };
}

const AT = Date.UTC(2026, 10, 24, 9, 0, 10);
const totpPhone = new Phone({
  id: "42",
  scheme: "totp",
  totp: { secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", algorithm: "SHA1", digits: 8 },
});
const edPhone = new Phone({
  id: "18446744073709551615",
  scheme: "ed25519",
  privateKey: generateKeyPairSync("ed25519").privateKey,
});

describe("the phone's QR code", () => {
  it.each([
    ["TOTP", totpPhone, 2],
    ["Ed25519", edPhone, 5],
  ] as const)(
    "encodes a %s token as one alphanumeric segment at level M, version %i",
    (_, phone, version) => {
      const code = phone.codeAt(AT);
      const symbol = qrSymbol(code);
      expect(symbol.segments.map((s) => s.mode.id)).toEqual(["Alphanumeric"]);
      expect(symbol.errorCorrectionLevel.bit).toBe(0); // M is 0b00 in the format bits
      expect(symbol.version).toBe(version);
      // The reason for base45: the same text as bytes needs a larger symbol.
      const asBytes = QRCode.create([{ data: Buffer.from(code), mode: "byte" }], {
        errorCorrectionLevel: "M",
      });
      expect(asBytes.version).toBeGreaterThan(symbol.version);
    },
  );

  it("falls back to a byte segment only for text outside the alphanumeric set", () => {
    expect(qrSegments("PG1:AB C$%*+-./:09")).toEqual([{ data: "PG1:AB C$%*+-./:09", mode: "alphanumeric" }]);
    expect(qrSegments("pg1:abc")[0]?.mode).toBe("byte");
  });

  it.each([
    ["TOTP", totpPhone],
    ["Ed25519", edPhone],
  ] as const)("writes a %s PNG whose module grid is the QR symbol of the token", async (_, phone) => {
    const code = phone.codeAt(AT);
    const file = join(mkdtempSync(join(tmpdir(), "passgate-qr-")), "code.png");
    await writeQrPng(code, file);
    const png = readPng(readFileSync(file));
    const { modules } = qrSymbol(code);
    const side = (modules.size + 2 * PNG_MARGIN) * PNG_SCALE;
    expect([png.width, png.height, png.bitDepth]).toEqual([side, side, 8]);
    let darkModules = 0;
    for (let row = -PNG_MARGIN; row < modules.size + PNG_MARGIN; row++) {
      for (let col = -PNG_MARGIN; col < modules.size + PNG_MARGIN; col++) {
        const inside = row >= 0 && col >= 0 && row < modules.size && col < modules.size;
        const expected = inside && modules.get(row, col) === 1;
        const cx = (col + PNG_MARGIN) * PNG_SCALE + PNG_SCALE / 2;
        const cy = (row + PNG_MARGIN) * PNG_SCALE + PNG_SCALE / 2;
        expect(png.dark(cx, cy), `module ${row},${col}`).toBe(expected);
        if (expected) darkModules++;
      }
    }
    expect(darkModules).toBeGreaterThan(modules.size * 4);
  });

  it("draws the terminal QR in block characters, with colour only when asked, never the token text", async () => {
    const code = totpPhone.codeAt(AT);
    const { modules } = qrSymbol(code);
    const plain = await renderTerminalQr(code, { color: false });
    expect(plain).not.toContain("\u001b");
    expect(plain).toMatch(/[█▀▄]/);
    expect(plain.replace(/[█▀▄ \n]/g, "")).toBe("");
    // Two module rows per line, plus the quiet zone.
    expect(plain.trimEnd().split("\n").length).toBeGreaterThanOrEqual(Math.ceil(modules.size / 2));
    expect(plain).not.toContain(code.slice(4, 14));
    const coloured = await renderTerminalQr(code, { color: true });
    expect(coloured).toContain("\u001b[");
    expect(coloured).toMatch(/[█▀▄]/);
    expect(coloured).not.toContain(code.slice(4, 14));
  });
});
