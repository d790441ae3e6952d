import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import mqtt from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { TestMosquitto as Mosquitto } from "../daemon/mqtt/testing/mosquitto.js";
import { systemClock } from "../platform/clock.js";
import { createLogger } from "../platform/log/logger.js";
import type { Scan } from "../reader-bridge/scan-source.js";
import { settle, waitFor } from "../reader-bridge/testing/scan-recorder.js";
import { SocatPty } from "../sim/scanners/socat-pty.js";
import { startDaemon } from "./gate-app.js";

const dir = mkdtempSync(join(tmpdir(), "passgate-daemon-readers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("passgate run with a serial reader", () => {
  it("decides every scan from the pty, survives unplug/replug, and beeps the result back", async () => {
    const pty = new SocatPty(join(dir, "reader"), join(dir, "scanner"));
    await pty.plugIn();
    const lines: string[] = [];
    const logger = createLogger({
      level: "debug",
      destination: { write: (line: string) => void lines.push(line) },
    });
    const config = configSchema.parse({
      site: "s",
      gate: "g",
      timezone: "UTC",
      storage: { path: join(dir, "gate.db") },
      readers: [
        {
          id: "in",
          direction: "in",
          source: {
            type: "serial",
            path: pty.readerPath,
            terminator: "crlf",
            feedback: { denied: { hex: "4e" } },
          },
        },
        // A reader that is never there must not keep the gate from deciding.
        {
          id: "absent",
          direction: "out",
          source: { type: "serial", usb: { vendorId: "ffff", productId: "0001" } },
        },
      ],
    });
    const decided: { reader: string; result: string }[] = [];
    const scans: Scan[] = [];
    const daemon = await startDaemon(config, {
      stdin: new PassThrough(),
      logger,
      clock: systemClock,
      onDecision: (outcome, scan) => {
        scans.push(scan);
        decided.push({ reader: scan.reader, result: outcome.decision.result });
      },
    });
    const scanner = await open(pty.devicePath, "r");
    try {
      await waitFor(
        () => lines.some((l) => l.includes('"reader connected"') && l.includes('"in"')),
        "reader up",
      );
      const beep = scanner.read(Buffer.alloc(1), 0, 1);
      await pty.write(Buffer.from(" PG1:NOT-A-TOKEN \r\n"));
      await waitFor(() => decided.length === 1, "a decision");
      expect(scans[0]?.text).toBe(" PG1:NOT-A-TOKEN ");
      expect(decided[0]).toEqual({ reader: "in", result: "denied" });
      expect((await beep).buffer.toString()).toBe("N");
      await scanner.close();

      await pty.unplug();
      await waitFor(
        () => lines.some((l) => l.includes('"reader disconnected"') && l.includes('"in"')),
        "unplug seen",
      );
      await settle(500);
      await pty.plugIn();
      await waitFor(
        () => lines.filter((l) => l.includes('"reader connected"')).length >= 2,
        "replug seen",
        2_000,
      );
      await pty.write(Buffer.from("PG1:AGAIN\r\nPG1:\u001b[0m\r\n"));
      await waitFor(() => decided.length === 2, "a decision after replug");
      await waitFor(() => lines.some((l) => l.includes("scan input rejected")), "the ESC scan rejected");
    } finally {
      await daemon.stop();
      await pty.unplug();
    }
    const rejectedLine = lines.find((l) => l.includes("scan input rejected"));
    expect(JSON.parse(rejectedLine ?? "{}")).toMatchObject({ reader: "in", reason: "control_characters" });
    // No log line carries scan text.
    expect(lines.join("\n")).not.toMatch(/NOT-A-TOKEN|AGAIN/);
  });
});

describe("passgate run with a Tasmota firmware reader", () => {
  it("decides scans published on tele/<topic>/RESULT on a real mosquitto", async () => {
    const broker = await Mosquitto.start();
    const lines: string[] = [];
    const logger = createLogger({
      level: "debug",
      destination: { write: (line: string) => void lines.push(line) },
    });
    const config = configSchema.parse({
      site: "s",
      gate: "g",
      timezone: "UTC",
      storage: { path: join(dir, "gate-mqtt.db") },
      mqtt: { url: broker.url },
      readers: [{ id: "fw", direction: "in", source: { type: "mqtt", topic: "tele/reader-fw/RESULT" } }],
    });
    const decided: string[] = [];
    const daemon = await startDaemon(config, {
      stdin: new PassThrough(),
      logger,
      clock: systemClock,
      onDecision: (outcome, scan) => decided.push(`${scan.reader}:${scan.text}:${outcome.decision.result}`),
    });
    const publisher = mqtt.connect(broker.url);
    try {
      await waitFor(
        () => lines.some((l) => l.includes('"reader connected"') && l.includes('"fw"')),
        "reader up",
      );
      await waitFor(() => publisher.connected, "publisher connected");
      await publisher.publishAsync("tele/reader-fw/RESULT", JSON.stringify({ SerialReceived: "PG1:FW " }), {
        qos: 1,
      });
      await publisher.publishAsync("tele/reader-fw/RESULT", JSON.stringify({ SerialReceived: "PG1:FW " }), {
        qos: 1,
      });
      await waitFor(() => decided.length === 1, "a decision");
      await waitFor(() => lines.some((l) => l.includes('"duplicate"')), "the re-read dropped as a duplicate");
      expect(decided).toEqual(["fw:PG1:FW :denied"]);
    } finally {
      await publisher.endAsync(true);
      await daemon.stop();
      await broker.close();
    }
  });
});
