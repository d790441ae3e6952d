import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { brokerPerFile } from "../app/testing/broker-per-file.js";
import { runGate, watchTopics } from "../app/testing/mqtt-gate-fixture.js";
import { waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { ShellyGen1Emulator } from "../sim/devices/shelly-gen1-emulator.js";
import { ShellyGen2Emulator } from "../sim/devices/shelly-gen2-emulator.js";
import { TasmotaEmulator } from "../sim/devices/tasmota-emulator.js";
import { runCliInProcess } from "./cli-harness.js";
import { relayGateConfig } from "./relay-gate-config.js";

/** A test waits for boards, a broker and the gate for a few seconds; a loaded CI machine takes longer. */
const CLI_TEST_TIMEOUT_MS = 60_000;

const broker = brokerPerFile();
const dir = mkdtempSync(join(tmpdir(), "passgate-relay-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A gate config with one relay driven by `driver`, on the test broker (or `url`). */
function gateConfig(name: string, driver: Record<string, unknown>, url = broker.url) {
  return relayGateConfig(dir, name, driver, url);
}

async function journalReasons(file: string): Promise<string[]> {
  const tail = await runCliInProcess(["-c", file, "journal", "tail", "--json", "-n", "20"]);
  return tail.stdout
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => String((JSON.parse(l) as { reason?: unknown }).reason));
}

describe("passgate relay test without a running gate", { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it("pulses a Tasmota board itself, prints its confirmation time and journals the test", async () => {
    const board = new TasmotaEmulator("turnstile-t1");
    await board.start(broker.url);
    try {
      const { file } = gateConfig("t1", { type: "tasmota", topic: "turnstile-t1" });
      const result = await runCliInProcess(["-c", file, "relay", "test", "turnstile", "--pulse", "500ms"]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^relay turnstile: opened, confirmed by the board in \d+ ms\n$/);
      expect(board.opens.map((o) => o.ms)).toEqual([500]);
      expect(await journalReasons(file)).toContain("test_pulse");
    } finally {
      await board.stop();
    }
  });

  it("prints JSON with --json and drives Shelly Gen1 and Gen2 boards", async () => {
    const gen1 = new ShellyGen1Emulator("shelly1-AABBCC");
    const gen2 = new ShellyGen2Emulator("shellyplus1-ddeeff");
    await gen1.start(broker.url);
    await gen2.start(broker.url);
    try {
      const boards = [
        ["s1", { type: "shelly-gen1", id: "shelly1-AABBCC" }, gen1],
        ["s2", { type: "shelly-gen2", id: "shellyplus1-ddeeff" }, gen2],
      ] as const;
      // Two gates, two boards, one after the other: the commands run in this process.
      const results = [];
      for (const [name, driver] of boards) {
        results.push(
          await runCliInProcess([
            "-c",
            gateConfig(name, driver).file,
            "relay",
            "test",
            "turnstile",
            "--json",
          ]),
        );
      }
      for (const [i, result] of results.entries()) {
        expect(result.code).toBe(0);
        const json = JSON.parse(result.stdout) as Record<string, unknown>;
        expect(json).toMatchObject({ relay: "turnstile", via: "direct", result: "opened" });
        expect(typeof json.ms).toBe("number");
        expect(boards[i]?.[2].opens).toHaveLength(1);
      }
    } finally {
      await gen1.stop();
      await gen2.stop();
    }
  });
});

describe("passgate relay test with the gate running", { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it("asks the running gate to pulse, so only the gate drives the board, and the gate journals it", async () => {
    const board = new TasmotaEmulator("turnstile-d1");
    await board.start(broker.url);
    const { file, config } = gateConfig("d1", { type: "tasmota", topic: "turnstile-d1" });
    // An operator with a key on this machine, a guard in the gate's roster.
    const home = mkdtempSync(join(tmpdir(), "passgate-operator-"));
    const made = await runCliInProcess(["keys", "init", "--operator", "desk-1", "--json"], {
      env: { XDG_CONFIG_HOME: home },
    });
    const record = JSON.stringify(JSON.parse(made.stdout).member);
    expect((await runCliInProcess(["-c", file, "trust", "add", "--record", record])).code).toBe(0);
    const gate = await runGate(config);
    try {
      const state = await watchTopics(broker.url, "passgate/relay-site/d1/state");
      const boardOnline = () =>
        state
          .json("passgate/relay-site/d1/state")
          .some((s) => (s.relays as Record<string, boolean>).turnstile);
      await waitUntil(boardOnline, "the gate to see its board online", 5_000);
      await state.client.endAsync();
      const result = await runCliInProcess(
        ["-c", file, "relay", "test", "turnstile", "--pulse", "300ms", "--operator", "desk-1"],
        { env: { XDG_CONFIG_HOME: home } },
      );
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(
        /^relay turnstile: opened, confirmed by the board in \d+ ms \(pulsed by the running gate\)\n$/,
      );
      // The gate pulses for the length asked, not the relay's configured 800 ms.
      expect(board.opens.map((o) => o.ms)).toEqual([300]);
    } finally {
      await gate.stop();
      await board.stop();
    }
    expect((await journalReasons(file)).filter((r) => r === "test_pulse")).toHaveLength(1);
  });

  it("without an operator, drives the board itself: the running gate acts only on signed requests", async () => {
    const board = new TasmotaEmulator("turnstile-d2");
    await board.start(broker.url);
    const { file, config } = gateConfig("d2", { type: "tasmota", topic: "turnstile-d2" });
    const gate = await runGate(config);
    try {
      const result = await runCliInProcess(["-c", file, "relay", "test", "turnstile", "--pulse", "300ms"]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^relay turnstile: opened, confirmed by the board in \d+ ms\n$/);
      expect(board.opens.map((o) => o.ms)).toEqual([300]);
    } finally {
      await gate.stop();
      await board.stop();
    }
  });
});
