import { describe, expect, it } from "vitest";
import { hidSourceSchema } from "../../config/reader-schema.js";
import { systemClock } from "../../platform/clock.js";
import { createLogger } from "../../platform/log/logger.js";
import { KeyboardReportDecoder } from "../../reader-bridge/hid-keyboard-decoder.js";
import { HidScanSource } from "../../reader-bridge/hid-scan-source.js";
import { hidOptions, hygieneOptions } from "../../reader-bridge/reader-options.js";
import { ScanHygiene } from "../../reader-bridge/scan-hygiene.js";
import { FakeHidSystem } from "../../reader-bridge/testing/fake-hid-system.js";
import { ScanRecorder, settle, waitFor } from "../../reader-bridge/testing/scan-recorder.js";
import { Phone } from "../phone/phone.js";
import { HidScannerEmulator, type HidScannerOptions } from "./hid-scanner-emulator.js";

const silent = createLogger({ level: "silent" });
const INFO = { path: "/dev/hidraw7", vendorId: 0x0c2e, productId: 0x0b61, usagePage: 0x8c };
const code = new Phone({
  id: "18446744073709551615",
  scheme: "totp",
  totp: { secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", algorithm: "SHA1", digits: 8 },
}).codeAt(Date.now());
// Capitals, digits, and every shifted symbol of the base45 alphabet, ending in a space.
const ALPHABET = "PG1:0129 ABCZ$%*+-./: ";

/** The emulator feeding a fake node-hid, and the gate's HID source + hygiene reading it. */
async function rig(options: HidScannerOptions, reader: Record<string, unknown>) {
  const system = new FakeHidSystem(INFO);
  system.plugIn();
  const config = hidSourceSchema.parse({ type: "hid", mode: options.mode, path: INFO.path, ...reader });
  const source = new HidScanSource(
    "hid-1",
    { ...hidOptions(config), watchMs: 50 },
    {
      system,
      clock: systemClock,
      logger: silent,
    },
  );
  const hygiene = new ScanHygiene(hygieneOptions(config));
  const rec = new ScanRecorder();
  await source.start(rec);
  await waitFor(() => rec.lastState === "connected", "the HID source to connect");
  const scanner = new HidScannerEmulator(options, (report) => system.send([report]));
  const decided = () => rec.scans.filter((s) => hygiene.check(s.text, s.at) === undefined).map((s) => s.text);
  return { scanner, rec, decided, stop: () => source.stop() };
}

describe("HidScannerEmulator keyboard wedge", () => {
  it("types US boot keyboard reports: Shift for capitals and symbols, a key-up after each key, Enter", () => {
    const scanner = new HidScannerEmulator({ mode: "keyboard" }, () => {});
    const reports = scanner.readReports("Pa:");
    expect(reports.map((r) => r.toString("hex"))).toEqual([
      "0200130000000000", // Shift + P
      "0000000000000000",
      "0000040000000000", // a
      "0000000000000000",
      "0200330000000000", // Shift + ; → :
      "0000000000000000",
      "0000280000000000", // Enter
      "0000000000000000",
    ]);
    let decoded = "";
    const decoder = new KeyboardReportDecoder({
      maxBytes: 512,
      onFrame: (f) => {
        decoded = f.toString("utf8");
      },
      onOversized: () => {},
      onBadKey: () => {},
    });
    for (const r of new HidScannerEmulator({ mode: "keyboard" }, () => {}).readReports(ALPHABET))
      decoder.push(r);
    expect(decoded).toBe(ALPHABET);
  });

  it("→ HidScanSource on the fake node-hid: exact text, paced keys, a report id", async () => {
    const { scanner, rec, stop } = await rig(
      { mode: "keyboard", charDelayMs: 1, reportId: 1 },
      { reportId: 1 },
    );
    await scanner.scan(code);
    await scanner.scan(ALPHABET);
    await waitFor(() => rec.scans.length === 2, "two scans");
    expect(rec.texts).toEqual([code, ALPHABET]);
    expect(rec.rejections).toEqual([]);
    await stop();
  });

  it("continuous mode reads the phone 3 times within 300 ms; the gate's hygiene decides it once", async () => {
    const { scanner, rec, decided, stop } = await rig(
      { mode: "keyboard", reads: 3, rereadGapMs: 100, prefix: "]Q1" },
      { prefix: "]Q1" },
    );
    await scanner.scan(code);
    await waitFor(() => rec.scans.length === 3, "three reads");
    expect(rec.scans[2]!.at - rec.scans[0]!.at).toBeLessThan(400);
    expect(rec.texts).toEqual([code, code, code]);
    expect(decided()).toEqual([code]);
    await stop();
  });

  it("sends no Enter with terminator none, so the gate waits for one", async () => {
    const { scanner, rec, stop } = await rig({ mode: "keyboard", terminator: "none" }, {});
    await scanner.scan(code);
    await settle(50);
    expect(rec.scans).toEqual([]);
    await stop();
    expect(() => new HidScannerEmulator({ mode: "keyboard", terminator: "lf" }, () => {})).toThrow(/Enter/);
  });
});

describe("HidScannerEmulator HID POS", () => {
  it("splits an Ed25519-sized code over Scanned Data reports with the continuation bit", () => {
    const long = `PG1:${"A".repeat(116)}`;
    const reports = new HidScannerEmulator({ mode: "pos" }, () => {}).readReports(long);
    expect(reports.map((r) => [r.length, r[0], r[1], r[63]])).toEqual([
      [64, 0x02, 56, 1],
      [64, 0x02, 56, 1],
      [64, 0x02, 8, 0],
    ]);
  });

  it("→ HidScanSource on the fake node-hid: exact text, repeated reads decided once", async () => {
    const long = `${code}${" ".repeat(3)}${ALPHABET.repeat(4)}`;
    const { scanner, rec, decided, stop } = await rig(
      { mode: "pos", reads: 2, rereadGapMs: 80, charDelayMs: 2 },
      {},
    );
    await scanner.scan(long);
    await scanner.scan(ALPHABET);
    await waitFor(() => rec.scans.length === 4, "four reads");
    expect(rec.texts).toEqual([long, long, ALPHABET, ALPHABET]);
    expect(decided()).toEqual([long, ALPHABET]);
    await stop();
  });
});
