import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TestMosquitto } from "../daemon/mqtt/testing/mosquitto.js";
import { systemClock } from "../platform/clock.js";
import { createLogger } from "../platform/log/logger.js";
import { SerialScanSource } from "../reader-bridge/serial-scan-source.js";
import { nodeSerialSystem } from "../reader-bridge/serial-system.js";
import { ScanRecorder, waitFor } from "../reader-bridge/testing/scan-recorder.js";
import { type CliProcess, startCli } from "./cli-child.js";
import { runCliInProcess } from "./cli-harness.js";

/**
 * The bench kit: `passgate sim relay` and `passgate sim scanner` as their own processes
 * (the built CLI), against a real mosquitto and a real serial reader on the pty.
 */

async function stopped(p: CliProcess): Promise<number | null> {
  if (p.child.exitCode !== null) return p.child.exitCode;
  const exited = new Promise<number | null>((resolve) => p.child.once("exit", (code) => resolve(code)));
  p.child.kill("SIGTERM");
  return exited;
}

const dir = mkdtempSync(join(tmpdir(), "passgate-sim-devices-"));
let broker: TestMosquitto;
const running: CliProcess[] = [];
beforeAll(async () => {
  broker = await TestMosquitto.start();
});
afterEach(async () => {
  for (const p of running.splice(0)) await stopped(p);
});
afterAll(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

const DRIVERS = {
  tasmota: (topic: string) => `{ type: tasmota, topic: ${topic} }`,
  "shelly-gen1": (topic: string) => `{ type: shelly-gen1, id: ${topic} }`,
  "shelly-gen2": (topic: string) => `{ type: shelly-gen2, id: ${topic} }`,
  generic: (topic: string) => `{ type: generic, device: ${topic} }`,
} as const;

describe("passgate sim relay", () => {
  for (const [kind, driver] of Object.entries(DRIVERS)) {
    it(`answers passgate relay test as a ${kind} board`, { timeout: 30_000 }, async () => {
      const topic = `bench-${kind}`;
      const config = join(dir, `${kind}.yaml`);
      writeFileSync(
        config,
        [
          "site: lab",
          "gate: bench",
          "timezone: UTC",
          `storage: { path: ${join(dir, `${kind}.db`)} }`,
          "readers:",
          "  - { id: in, direction: in, source: { type: stdin } }",
          "relays:",
          `  - { id: turnstile, reader: in, driver: ${driver(topic)} }`,
          `mqtt: { url: "${broker.url}" }`,
          "",
        ].join("\n"),
      );
      const relay = startCli(["sim", "relay", "--kind", kind, "--topic", topic, "--broker", broker.url]);
      running.push(relay);
      await waitFor(() => relay.output().includes("online"), "the emulator online", 15_000);
      const result = await runCliInProcess(["--config", config, "relay", "test", "turnstile"]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(/relay turnstile: opened, confirmed by the board in \d+ ms/);
      await waitFor(() => / open \d+ ms/.test(relay.output()), "the emulator to print the open", 5_000);
      expect(await stopped(running.splice(0)[0] ?? relay)).toBe(0);
      expect(relay.output()).toContain("stopped");
    });
  }

  it("refuses an unknown kind and a topic with a slash, as usage errors", async () => {
    const kind = await runCliInProcess(["sim", "relay", "--kind", "sonoff", "--topic", "t"]);
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain("expected one of tasmota, shelly-gen1, shelly-gen2, generic");
    const topic = await runCliInProcess(["sim", "relay", "--kind", "tasmota", "--topic", "a/b"]);
    expect(topic.code).toBe(2);
    expect(topic.stderr).toContain("one MQTT topic level");
  });

  it("fails with one line when the broker is not there", { timeout: 30_000 }, async () => {
    const relay = startCli([
      "sim",
      "relay",
      "--kind",
      "tasmota",
      "--topic",
      "t",
      "--broker",
      "mqtt://127.0.0.1:1",
    ]);
    running.push(relay);
    const code = await new Promise<number | null>((resolve) => relay.child.once("exit", resolve));
    expect(code).toBe(1);
    expect(relay.output()).toContain("cannot reach the broker at mqtt://127.0.0.1:1");
  });
});

describe("passgate sim scanner", () => {
  it("makes a pty that a serial reader reads each stdin line from as one scan, shown masked", {
    timeout: 30_000,
  }, async () => {
    const path = join(dir, "scanner");
    const scanner = startCli(["sim", "scanner", "--pty", path]);
    running.push(scanner);
    await waitFor(() => scanner.output().includes(`scanner on ${path}`), "the pty", 15_000);
    const source = new SerialScanSource(
      "bench",
      { device: { path }, baudRate: 9600, terminator: Buffer.from("\r"), maxBytes: 512 },
      { system: nodeSerialSystem(), clock: systemClock, logger: createLogger({ level: "silent" }) },
    );
    const recorder = new ScanRecorder();
    await source.start(recorder);
    try {
      // Opening a serial port drops what was typed before it: scan once the reader is open.
      await waitFor(() => recorder.lastState === "connected", "the reader to open the pty");
      scanner.child.stdin?.write("PG1:FIRSTCODE\n\nPG1:SECONDCODE\n");
      await waitFor(() => recorder.texts.length === 2, "two scans at the reader");
      expect(recorder.texts).toEqual(["PG1:FIRSTCODE", "PG1:SECONDCODE"]);
      expect(scanner.output()).toContain('scan 1: "PG1:…" (13 chars)');
      // A code is a live pass: the emulator never prints it whole.
      expect(scanner.output()).not.toContain("FIRSTCODE");
    } finally {
      await source.stop();
    }
    expect(await stopped(running.splice(0)[0] ?? scanner)).toBe(0);
    expect(scanner.output()).toContain("stopped after 2 scan(s)");
  });
});
