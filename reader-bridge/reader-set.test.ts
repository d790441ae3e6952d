import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import type { ReaderConfig } from "../config/schema.js";
import { configSchema } from "../config/schema.js";
import { systemClock } from "../platform/clock.js";
import { createLogger } from "../platform/log/logger.js";
import { SocatPty } from "../sim/scanners/socat-pty.js";
import { createScanSource, startReaders } from "./reader-set.js";
import type { Scan, ScanRejection } from "./scan-source.js";
import { nodeSerialSystem } from "./serial-system.js";
import { FakeHidSystem } from "./testing/fake-hid-system.js";
import { FakeScanSource } from "./testing/fake-scan-source.js";
import { settle, waitFor } from "./testing/scan-recorder.js";

const dir = mkdtempSync(join(tmpdir(), "passgate-readerset-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function readers(list: unknown[], extra: object = {}): ReaderConfig[] {
  return configSchema.parse({ site: "s", gate: "g", timezone: "UTC", readers: list, ...extra }).readers;
}

function deps(extra: object = {}) {
  return {
    clock: systemClock,
    logger: createLogger({ level: "silent" }),
    stdin: new PassThrough(),
    serial: nodeSerialSystem(),
    hid: new FakeHidSystem({ path: "/dev/hidraw0", vendorId: 1, productId: 1 }),
    ...extra,
  };
}

describe("startReaders", () => {
  it("runs a real serial reader next to an absent one: hygiene, counted rejections, feedback after decisions", async () => {
    const pty = new SocatPty(join(dir, "r1"), join(dir, "s1"));
    await pty.plugIn();
    const config = readers([
      {
        id: "gate-in",
        direction: "in",
        source: {
          type: "serial",
          path: pty.readerPath,
          terminator: "crlf",
          feedback: { granted: { hex: "0747" }, denied: "\u0007D" },
          rateLimit: { scans: 3, per: "10s" },
          duplicateWindow: "5s",
        },
      },
      { id: "gate-out", direction: "out", source: { type: "serial", path: join(dir, "never-there") } },
    ]);
    const scans: Scan[] = [];
    const rejections: [string, ScanRejection][] = [];
    const set = await startReaders(config, deps(), {
      scan: (reader, scan) => {
        scans.push(scan);
        if (scan.text === "PG1:THROW") throw new Error("handler bug");
        return reader.id === "gate-in" && scan.text === "PG1:A" ? "granted" : "denied";
      },
      rejected: (reader, reason) => rejections.push([reader, reason]),
    });
    const feedback = await open(pty.devicePath, "r");
    try {
      await waitFor(() => set.states()["gate-in"] === "connected", "gate-in connected");
      await waitFor(() => set.states()["gate-out"] === "disconnected", "gate-out reported away");
      const readBack = (async () => {
        const buf = Buffer.alloc(16);
        let got = Buffer.alloc(0);
        while (got.length < 4) {
          const { bytesRead } = await feedback.read(buf, 0, 16);
          got = Buffer.concat([got, buf.subarray(0, bytesRead)]);
        }
        return got;
      })();
      await pty.write(Buffer.from("PG1:A\r\nPG1:A\r\nPG1:THROW\r\nPG1:\u001b\r\nPG1:B\r\nPG1:C\r\n"));
      await waitFor(() => rejections.length >= 3, "three rejections");
      await settle(100);
      expect(scans.map((s) => s.text)).toEqual(["PG1:A", "PG1:THROW", "PG1:B"]);
      expect(rejections).toEqual([
        ["gate-in", "duplicate"],
        ["gate-in", "control_characters"],
        ["gate-in", "rate_limited"],
      ]);
      expect(set.counters.forReader("gate-in")).toMatchObject({
        duplicate: 1,
        control_characters: 1,
        rate_limited: 1,
      });
      expect(await readBack).toEqual(Buffer.from([0x07, 0x47, 0x07, 0x44]));
    } finally {
      await feedback.close();
      await set.stop();
      await pty.unplug();
    }
  });

  it("isolates a reader whose start throws and retries it, while the others deliver", async () => {
    const config = readers([
      { id: "flaky", direction: "in", source: { type: "hid", mode: "pos", path: "/dev/hidraw9" } },
      { id: "good", direction: "in", source: { type: "hid", mode: "pos", path: "/dev/hidraw8" } },
    ]);
    const good = new FakeScanSource("good", systemClock);
    let attempts = 0;
    const scans: string[] = [];
    const set = await startReaders(
      config,
      deps({
        createSource: (reader: ReaderConfig) => {
          if (reader.id === "good") return good;
          attempts++;
          if (attempts < 2)
            return { id: "flaky", start: () => Promise.reject(new Error("boom")), stop: async () => {} };
          return new FakeScanSource("flaky", systemClock);
        },
      }),
      { scan: (_r, s) => void scans.push(`${s.reader}:${s.text}`), rejected: () => {} },
    );
    try {
      expect(set.states().flaky).toBe("failed");
      good.emit("PG1:G\n");
      expect(scans).toEqual(["good:PG1:G"]);
      await waitFor(() => set.states().flaky === "connected", "flaky restarted", 3_000);
      expect(attempts).toBe(2);
    } finally {
      await set.stop();
    }
  });

  it("refuses an mqtt reader without a client, leaving the gate running", () => {
    const [reader] = readers(
      [{ id: "fw", direction: "in", source: { type: "mqtt", topic: "tele/x/RESULT" } }],
      {
        mqtt: { url: "mqtt://127.0.0.1:1" },
      },
    );
    expect(() => createScanSource(reader!, deps())).toThrow(/needs the `mqtt:` section/);
  });
});
