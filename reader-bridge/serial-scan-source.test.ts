import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { systemClock } from "../platform/clock.js";
import { createLogger } from "../platform/log/logger.js";
import { FakeClock } from "../platform/testing/fake-clock.js";
import { SocatPty } from "../sim/scanners/socat-pty.js";
import { matchSerialPort, type SerialReaderOptions, SerialScanSource } from "./serial-scan-source.js";
import { nodeSerialSystem, type OpenSerialPort, type SerialSystem } from "./serial-system.js";
import { ScanRecorder, settle, waitFor } from "./testing/scan-recorder.js";
import { describeScanSourceContract } from "./testing/scan-source-contract.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const silent = createLogger({ level: "silent" });
let ptyCount = 0;

function newPty(): SocatPty {
  const dir = mkdtempSync(join(tmpdir(), "passgate-pty-"));
  dirs.push(dir);
  ptyCount++;
  return new SocatPty(join(dir, `reader${ptyCount}`), join(dir, `scanner${ptyCount}`));
}

function serialSource(pty: SocatPty, options: Partial<SerialReaderOptions> = {}): SerialScanSource {
  return new SerialScanSource(
    "serial-1",
    {
      device: { path: pty.readerPath },
      baudRate: 9600,
      terminator: Buffer.from("\r\n"),
      maxBytes: 512,
      ...options,
    },
    { system: nodeSerialSystem(), clock: systemClock, logger: silent },
  );
}

const CRLF = Buffer.from("\r\n");

describeScanSourceContract(
  "SerialScanSource on a socat pty",
  async () => {
    const pty = newPty();
    await pty.plugIn();
    const source = serialSource(pty);
    return {
      source,
      maxBytes: 512,
      sendScan: (bytes) => pty.write(Buffer.concat([bytes, CRLF])),
      sendRaw: (bytes) => pty.write(bytes),
      unplug: () => pty.unplug(),
      replug: () => pty.plugIn(),
      close: () => pty.unplug(),
    };
  },
  {
    startsWithoutDevice: async () => {
      const pty = newPty();
      return {
        source: serialSource(pty),
        maxBytes: 512,
        sendScan: (bytes) => pty.write(Buffer.concat([bytes, CRLF])),
        plugIn: () => pty.plugIn(),
        close: () => pty.unplug(),
      };
    },
  },
);

describe("SerialScanSource framing on a socat pty", () => {
  async function run(
    options: Partial<SerialReaderOptions>,
    send: (pty: SocatPty) => Promise<void>,
    expected: number,
  ): Promise<ScanRecorder> {
    const pty = newPty();
    await pty.plugIn();
    const source = serialSource(pty, options);
    const rec = new ScanRecorder();
    await source.start(rec);
    try {
      await waitFor(() => rec.lastState === "connected", "connected");
      await send(pty);
      await waitFor(() => rec.scans.length + rec.rejections.length >= expected, `${expected} results`);
      await settle(50);
      return rec;
    } finally {
      await source.stop();
      await pty.unplug();
    }
  }

  it("splits on CR alone and keeps a CR-free trailing space", async () => {
    const rec = await run(
      { terminator: Buffer.from("\r") },
      (p) => p.write(Buffer.from(" PG1:A \rPG1:B\r")),
      2,
    );
    expect(rec.texts).toEqual([" PG1:A ", "PG1:B"]);
  });

  it("splits on LF alone, a CR before it being data (and so a control character)", async () => {
    const rec = await run(
      { terminator: Buffer.from("\n") },
      (p) => p.write(Buffer.from("PG1:A\nPG1:B\r\n")),
      2,
    );
    expect(rec.texts).toEqual(["PG1:A"]);
    expect(rec.rejections).toEqual(["control_characters"]);
  });

  it("splits on a custom multi-byte terminator split across writes", async () => {
    const rec = await run(
      { terminator: Buffer.from([0x03, 0x04]) },
      async (p) => {
        await p.write(Buffer.from([0x50, 0x47, 0x31, 0x3a, 0x41, 0x03]));
        await settle(30);
        await p.write(Buffer.from([0x04, 0x50, 0x47, 0x31, 0x3a, 0x42, 0x03, 0x04]));
      },
      2,
    );
    expect(rec.texts).toEqual(["PG1:A", "PG1:B"]);
  });

  it("strips a configured prefix and suffix, refusing frames without them", async () => {
    const rec = await run(
      { prefix: Buffer.from("]Q1"), suffix: Buffer.from("#") },
      (p) => p.write(Buffer.from("]Q1 PG1:A #\r\nPG1:B#\r\n]Q1PG1:C\r\n")),
      3,
    );
    expect(rec.texts).toEqual([" PG1:A "]);
    expect(rec.rejections).toEqual(["framing", "framing"]);
  });

  it("ends scans on the inter-byte timeout when the scanner sends no terminator", async () => {
    const rec = await run(
      { terminator: Buffer.alloc(0), interByteTimeoutMs: 80 },
      async (p) => {
        await p.write(Buffer.from("PG1:AB "));
        await p.write(Buffer.from("CD"));
        await settle(300);
        await p.write(Buffer.from("PG1:NEXT"));
      },
      2,
    );
    expect(rec.texts).toEqual(["PG1:AB CD", "PG1:NEXT"]);
  });

  it("sends the set-up commands each time the scanner connects, also after a replug", async () => {
    const pty = newPty();
    await pty.plugIn();
    const setup = [Buffer.from("\x16MSUFBK2990D\r"), Buffer.from("\x16MMENENA0.")];
    const source = serialSource(pty, { setup });
    const rec = new ScanRecorder();
    const readSetup = async () => {
      const { open } = await import("node:fs/promises");
      const fh = await open(pty.devicePath, "r");
      const got: Buffer[] = [];
      const buf = Buffer.alloc(64);
      let total = 0;
      const want = setup.reduce((n, b) => n + b.length, 0);
      while (total < want) {
        const { bytesRead } = await fh.read(buf, 0, 64);
        got.push(Buffer.from(buf.subarray(0, bytesRead)));
        total += bytesRead;
      }
      await fh.close();
      return Buffer.concat(got);
    };
    try {
      const first = readSetup();
      await source.start(rec);
      expect(await first).toEqual(Buffer.concat(setup));
      await waitFor(() => rec.lastState === "connected", "connected");
      await pty.unplug();
      await waitFor(() => rec.lastState === "disconnected", "disconnected");
      await pty.plugIn();
      const again = readSetup();
      await waitFor(() => rec.lastState === "connected", "connected again", 5_000);
      expect(await again).toEqual(Buffer.concat(setup));
    } finally {
      await source.stop();
      await pty.unplug();
    }
  });

  it("writes the configured feedback bytes to the reader", async () => {
    const pty = newPty();
    await pty.plugIn();
    const source = serialSource(pty, {
      feedback: { granted: Buffer.from([0x1b, 0x42, 0x31]), denied: Buffer.from("\x07DENY") },
    });
    const rec = new ScanRecorder();
    await source.start(rec);
    try {
      await waitFor(() => rec.lastState === "connected", "connected");
      const got: Buffer[] = [];
      const reading = (async () => {
        const { open } = await import("node:fs/promises");
        const fh = await open(pty.devicePath, "r");
        const buf = Buffer.alloc(64);
        let total = 0;
        while (total < 8) {
          const { bytesRead } = await fh.read(buf, 0, 64);
          got.push(Buffer.from(buf.subarray(0, bytesRead)));
          total += bytesRead;
        }
        await fh.close();
      })();
      await source.feedback("granted");
      await source.feedback("denied");
      await reading;
      expect(Buffer.concat(got)).toEqual(Buffer.from("\x1bB1\x07DENY"));
    } finally {
      await source.stop();
      await pty.unplug();
    }
  });
});

/** A port that never emits `close`, as some serialport versions behave on unplug. */
class SilentPort extends EventEmitter implements OpenSerialPort {
  write(_data: Buffer, callback: (err: Error | null | undefined) => void): void {
    callback(null);
  }
  close(callback: (err: Error | null) => void): void {
    callback(null);
  }
}

describe("SerialScanSource hot-plug without a close event", () => {
  it("notices the device node is gone by its periodic check, and reopens when it is back", async () => {
    let present = true;
    let identity = 1;
    let opens = 0;
    const system: SerialSystem = {
      open: async () => {
        if (!present) throw new Error("ENOENT");
        opens++;
        return new SilentPort();
      },
      list: async () => [],
      identify: () => (present ? String(identity) : undefined),
    };
    const source = new SerialScanSource(
      "s",
      { device: { path: "/dev/fake" }, baudRate: 9600, terminator: CRLF, maxBytes: 64, watchMs: 20 },
      { system, clock: new FakeClock(1), logger: silent },
    );
    const rec = new ScanRecorder();
    await source.start(rec);
    await waitFor(() => rec.lastState === "connected", "connected");
    present = false;
    await waitFor(() => rec.lastState === "disconnected", "disconnected without a close event", 1_000);
    present = true;
    await waitFor(() => rec.lastState === "connected", "reconnected", 2_000);
    // Replaced within one check interval: a new node at the same path is a new device.
    identity = 2;
    await waitFor(() => opens === 3, "reopened after the node was replaced", 2_000);
    await source.stop();
    expect(rec.states).toEqual([
      "connecting",
      "connected",
      "disconnected",
      "connected",
      "disconnected",
      "connected",
    ]);
  });
});

describe("matchSerialPort", () => {
  const ports = [
    { path: "/dev/ttyACM0", vendorId: "0c2e", productId: "0b61", serialNumber: "A1" },
    { path: "/dev/ttyACM1", vendorId: "0C2E", productId: "0B61", serialNumber: "B2" },
    { path: "/dev/ttyS0" },
  ];
  it.each([
    [{ path: "/dev/x" }, "/dev/x"],
    [{ vendorId: "0c2e" }, "/dev/ttyACM0"],
    [{ vendorId: "0c2e", productId: "0b61", serialNumber: "B2" }, "/dev/ttyACM1"],
    [{ vendorId: "0C2E", productId: "0B61", serialNumber: "b2" }, undefined],
    [{ vendorId: "05e0" }, undefined],
  ])("%j → %s", (match, expected) => {
    expect(matchSerialPort(ports, match)).toBe(expected);
  });
});

describe("SerialScanSource found by USB ids", () => {
  it("follows the reader to a new path after re-enumeration (ttyACM0 → ttyACM1)", async () => {
    const first = newPty();
    const second = newPty();
    const real = nodeSerialSystem();
    let listed: { path: string; vendorId: string; productId: string; serialNumber: string }[] = [];
    // The OS listing is faked (a pty has no USB ids); opening and watching the node are real.
    const system: SerialSystem = { ...real, list: async () => listed };
    const source = new SerialScanSource(
      "usb",
      {
        device: { vendorId: "0C2E", productId: "0b61", serialNumber: "17A1" },
        baudRate: 9600,
        terminator: CRLF,
        maxBytes: 64,
      },
      { system, clock: systemClock, logger: silent },
    );
    const rec = new ScanRecorder();
    await source.start(rec);
    try {
      await settle(300);
      expect(rec.states).toEqual(["connecting", "disconnected"]);
      await first.plugIn();
      listed = [
        { path: "/dev/ttyS0", vendorId: "0c2e", productId: "0b61", serialNumber: "OTHER" },
        { path: first.readerPath, vendorId: "0c2e", productId: "0b61", serialNumber: "17A1" },
      ];
      await waitFor(() => rec.lastState === "connected", "connected at the first path", 2_000);
      await first.write(Buffer.from("PG1:ONE\r\n"));
      await waitFor(() => rec.texts.length === 1, "a scan at the first path");

      await first.unplug();
      listed = [];
      await waitFor(() => rec.lastState === "disconnected", "disconnected");
      await second.plugIn();
      listed = [{ path: second.readerPath, vendorId: "0c2e", productId: "0b61", serialNumber: "17A1" }];
      await waitFor(() => rec.lastState === "connected", "connected at the new path", 2_000);
      await second.write(Buffer.from("PG1:TWO\r\n"));
      await waitFor(() => rec.texts.length === 2, "a scan at the new path");
      expect(rec.texts).toEqual(["PG1:ONE", "PG1:TWO"]);
    } finally {
      await source.stop();
      await first.unplug();
      await second.unplug();
    }
  });
});
