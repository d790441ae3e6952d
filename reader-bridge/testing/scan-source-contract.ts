import { afterEach, describe, expect, it } from "vitest";
import type { ScanSource } from "../scan-source.js";
import { ScanRecorder, settle, waitFor } from "./scan-recorder.js";

/** What the contract suite needs to drive one adapter through its real (or fake) device. */
export interface ContractDevice {
  readonly source: ScanSource;
  /** Longest scan the source was configured to accept, in bytes. */
  readonly maxBytes: number;
  /** Makes the device send one complete scan of these bytes, framed as this reader frames it. */
  sendScan(bytes: Buffer): Promise<void>;
  /** Sends bytes with no framing (a stream adapter), or undefined where a scan is one message. */
  sendRaw?: (bytes: Buffer) => Promise<void>;
  /** Removes and restores the device, for adapters that see hot-plug. */
  unplug?: () => Promise<void>;
  replug?: () => Promise<void>;
  close(): Promise<void>;
}

export interface ContractOptions {
  /** Whether the source has a device that can go away; false only for the stdin stream. Default true. */
  readonly hotPlug?: boolean;
  /** The source is started with its device absent, then the device appears. */
  readonly startsWithoutDevice?: () => Promise<ContractDevice & { plugIn(): Promise<void> }>;
}

/**
 * The behaviour every ScanSource keeps (see scan-source.ts), run against the fake and each
 * real adapter with the adapter's own device harness.
 */
export function describeScanSourceContract(
  name: string,
  makeDevice: () => Promise<ContractDevice>,
  options: ContractOptions = {},
): void {
  describe(`ScanSource contract: ${name}`, () => {
    let device: ContractDevice | undefined;
    let rec: ScanRecorder;

    async function started(): Promise<ContractDevice> {
      device = await makeDevice();
      rec = new ScanRecorder();
      await device.source.start(rec);
      // Bytes a device sends before the source has it open are lost, as with real hardware
      // (opening a tty flushes its input); device-backed sources say when they are open.
      if (device.unplug !== undefined) await waitFor(() => rec.lastState === "connected", "connected");
      return device;
    }

    afterEach(async () => {
      await device?.source.stop();
      await device?.close();
      device = undefined;
    });

    it("delivers the exact text once, keeping leading and trailing spaces, with its reader id", async () => {
      const d = await started();
      await d.sendScan(Buffer.from(" PG1:AB CD "));
      await d.sendScan(Buffer.from("PG1:$%*+-./:"));
      await waitFor(() => rec.scans.length >= 2, "two scans");
      await settle(50);
      expect(rec.texts).toEqual([" PG1:AB CD ", "PG1:$%*+-./:"]);
      expect(rec.scans.every((s) => s.reader === d.source.id && Number.isFinite(s.at))).toBe(true);
    });

    it("delivers a burst of scans in order", async () => {
      const d = await started();
      const sent = Array.from({ length: 40 }, (_, i) => `PG1:BURST${i}`);
      for (const text of sent) await d.sendScan(Buffer.from(text));
      await waitFor(() => rec.scans.length >= sent.length, "the whole burst");
      expect(rec.texts).toEqual(sent);
    });

    it("rejects NUL, ESC and invalid UTF-8 with a reason, and keeps reading", async () => {
      const d = await started();
      await d.sendScan(Buffer.from("PG1:A\u0000B"));
      await d.sendScan(Buffer.from("PG1:\u001b[2J"));
      await d.sendScan(Buffer.from([0x50, 0x47, 0x31, 0x3a, 0xc3, 0x28]));
      await d.sendScan(Buffer.from("PG1:OK"));
      await waitFor(() => rec.scans.length >= 1 && rec.rejections.length >= 3, "three rejections and a scan");
      expect(rec.rejections).toEqual(["control_characters", "control_characters", "not_utf8"]);
      expect(rec.texts).toEqual(["PG1:OK"]);
    });

    it("drops an oversized scan as too_long and delivers the next one", async () => {
      const d = await started();
      await d.sendScan(Buffer.alloc(d.maxBytes + 1, 0x41));
      await d.sendScan(Buffer.from("PG1:AFTER"));
      await waitFor(() => rec.scans.length >= 1, "the scan after the oversized one");
      expect(rec.rejections).toEqual(["too_long"]);
      expect(rec.texts).toEqual(["PG1:AFTER"]);
    });

    it("bounds 64 KiB sent without any terminator, then recovers", async () => {
      const d = await started();
      const big = Buffer.alloc(64 * 1024, 0x42);
      if (d.sendRaw !== undefined) {
        const heapBefore = process.memoryUsage().heapUsed;
        for (let i = 0; i < 16; i++) await d.sendRaw(big);
        await settle(200);
        expect(rec.scans).toEqual([]);
        // One MiB went in; the source held at most its own bounded buffer of it.
        expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(8 * 1024 * 1024);
        await d.sendScan(Buffer.from("X"));
      } else {
        await d.sendScan(big);
      }
      await d.sendScan(Buffer.from("PG1:RECOVERED"));
      await waitFor(() => rec.texts.includes("PG1:RECOVERED"), "the scan after 64 KiB");
      expect(rec.rejections[0]).toBe("too_long");
      expect(rec.texts).toEqual(["PG1:RECOVERED"]);
    });

    it("delivers nothing once stop has resolved", async () => {
      const d = await started();
      await d.sendScan(Buffer.from("PG1:BEFORE"));
      await waitFor(() => rec.scans.length === 1, "the scan before stop");
      await d.source.stop();
      await d.sendScan(Buffer.from("PG1:AFTER"));
      await settle(300);
      expect(rec.texts).toEqual(["PG1:BEFORE"]);
    });

    if (options.hotPlug !== false) {
      it("reports disconnected on unplug and reads again within 2 s of replug", async () => {
        const d = await started();
        if (d.unplug === undefined || d.replug === undefined)
          throw new Error("the harness must unplug and replug");
        await waitFor(() => rec.lastState === "connected", "connected");
        await d.unplug();
        await waitFor(() => rec.lastState === "disconnected", "disconnected after unplug");
        await settle(1_500); // away for a while: the source backs off meanwhile
        await d.replug();
        const ms = await waitFor(() => rec.lastState === "connected", "connected after replug", 2_000);
        expect(ms).toBeLessThan(2_000);
        await d.sendScan(Buffer.from("PG1:BACK"));
        await waitFor(() => rec.texts.includes("PG1:BACK"), "a scan after replug");
      });
    }

    if (options.startsWithoutDevice !== undefined) {
      const absent = options.startsWithoutDevice;
      it("starts without throwing while the device is absent, and connects when it appears", async () => {
        const d = await absent();
        device = d;
        rec = new ScanRecorder();
        await expect(d.source.start(rec)).resolves.toBeUndefined();
        await settle(300);
        expect(rec.states).not.toContain("connected");
        await d.plugIn();
        await waitFor(() => rec.lastState === "connected", "connected once the device appears", 2_000);
        await d.sendScan(Buffer.from("PG1:FIRST"));
        await waitFor(() => rec.texts.includes("PG1:FIRST"), "the first scan");
      });
    }
  });
}
