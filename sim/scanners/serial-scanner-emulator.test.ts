import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { serialSourceSchema } from "../../config/reader-schema.js";
import { systemClock } from "../../platform/clock.js";
import { createLogger } from "../../platform/log/logger.js";
import { hygieneOptions, serialOptions } from "../../reader-bridge/reader-options.js";
import { ScanHygiene } from "../../reader-bridge/scan-hygiene.js";
import { SerialScanSource } from "../../reader-bridge/serial-scan-source.js";
import { nodeSerialSystem } from "../../reader-bridge/serial-system.js";
import { ScanRecorder, settle, waitFor } from "../../reader-bridge/testing/scan-recorder.js";
import { Phone } from "../phone/phone.js";
import type { ScanTypingOptions } from "./scan-typing.js";
import { SerialScannerEmulator } from "./serial-scanner-emulator.js";

const dir = mkdtempSync(join(tmpdir(), "passgate-serial-emu-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const silent = createLogger({ level: "silent" });
const phone = new Phone({
  id: "7",
  scheme: "totp",
  totp: { secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", algorithm: "SHA1", digits: 8 },
});
// Base45 may end in a space: the whole path must keep it.
const SPACED = "PG1:QF4 9EBT1O8 ";

let n = 0;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A scanner emulator and the gate's serial source + hygiene configured alike, both started. */
async function rig(typing: ScanTypingOptions, reader: Record<string, unknown>) {
  n++;
  const scanner = new SerialScannerEmulator(join(dir, `reader${n}`), join(dir, `scanner${n}`), typing);
  await scanner.start();
  const config = serialSourceSchema.parse({ type: "serial", path: scanner.readerPath, ...reader });
  const source = new SerialScanSource(`serial-${n}`, serialOptions(config), {
    system: nodeSerialSystem(),
    clock: systemClock,
    logger: silent,
  });
  const hygiene = new ScanHygiene(hygieneOptions(config));
  const rec = new ScanRecorder();
  await source.start(rec);
  cleanups.push(async () => {
    await source.stop();
    await scanner.stop();
  });
  await waitFor(() => rec.lastState === "connected", "the serial source to connect");
  /** What the gate decides: the scans its hygiene lets through. */
  const decided = () => rec.scans.filter((s) => hygiene.check(s.text, s.at) === undefined).map((s) => s.text);
  return { scanner, rec, decided };
}

describe("SerialScannerEmulator → SerialScanSource on a socat pty", () => {
  it.each([
    ["cr", { terminator: "cr" }],
    ["lf", { terminator: "lf" }],
    ["crlf", { terminator: "crlf" }],
    ["none", { terminator: "none", interByteTimeout: "60ms" }],
  ] as const)("delivers the exact text with terminator %s, spaces kept", async (terminator, reader) => {
    const { scanner, rec } = await rig({ terminator, charDelayMs: 1 }, reader);
    const code = phone.codeAt(Date.now());
    await scanner.scan(code);
    await waitFor(() => rec.scans.length === 1, "the first scan");
    // The idle timeout (no terminator) needs a pause between codes.
    if (terminator === "none") await settle(120);
    await scanner.scan(SPACED);
    await waitFor(() => rec.scans.length === 2, "the second scan");
    expect(rec.texts).toEqual([code, SPACED]);
    expect(rec.rejections).toEqual([]);
  });

  it("strips a configured prefix and suffix", async () => {
    const { scanner, rec } = await rig(
      { terminator: "crlf", prefix: "\u0002G7", suffix: "#" },
      { terminator: "crlf", prefix: { hex: "024737" }, suffix: "#" },
    );
    await scanner.scan(SPACED);
    await waitFor(() => rec.scans.length === 1, "the scan");
    expect(rec.texts).toEqual([SPACED]);
  });

  it("reads a phone 3 times within 300 ms; the gate's hygiene decides it once", async () => {
    const { scanner, rec, decided } = await rig({ reads: 3, rereadGapMs: 100, charDelayMs: 0 }, {});
    const code = phone.codeAt(Date.now());
    const started = Date.now();
    await scanner.scan(code);
    await waitFor(() => rec.scans.length === 3, "three reads");
    const spread = rec.scans[2]!.at - rec.scans[0]!.at;
    expect(spread).toBeGreaterThanOrEqual(150);
    expect(spread).toBeLessThan(400);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(rec.texts).toEqual([code, code, code]);
    expect(decided()).toEqual([code]);
  });

  it("unplug makes the source report disconnected; replug at the same path reconnects and reads", async () => {
    const { scanner, rec } = await rig({}, {});
    await scanner.unplug();
    expect(scanner.pluggedIn).toBe(false);
    await waitFor(() => rec.lastState === "disconnected", "disconnected");
    await scanner.replug();
    const ms = await waitFor(() => rec.lastState === "connected", "connected again");
    expect(ms).toBeLessThan(2_000);
    expect(rec.states).toEqual(["connecting", "connected", "disconnected", "connected"]);
    await scanner.scan(SPACED);
    await waitFor(() => rec.scans.length === 1, "a scan after replug");
    expect(rec.texts).toEqual([SPACED]);
  });
});
