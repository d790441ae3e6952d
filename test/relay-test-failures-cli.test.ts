import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { brokerPerFile } from "../app/testing/broker-per-file.js";
import { freeLoopbackPort } from "../daemon/mqtt/testing/mosquitto.js";
import { runCliInProcess } from "./cli-harness.js";
import { relayGateConfig } from "./relay-gate-config.js";

/** Each test waits out a board or broker that does not answer (up to 5 s); a loaded CI machine takes longer. */
const CLI_TEST_TIMEOUT_MS = 60_000;

const broker = brokerPerFile();
const dir = mkdtempSync(join(tmpdir(), "passgate-relay-fail-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A gate config with one relay driven by `driver`, on the test broker (or `url`). */
function gateConfig(name: string, driver: Record<string, unknown>, url = broker.url) {
  return relayGateConfig(dir, name, driver, url);
}

describe("passgate relay test when the pulse fails", { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it("says the board did not answer, names the topic and exits 1", async () => {
    // A board that says it is online but never confirms: dead relay firmware, wrong channel.
    const fake = connect(broker.url, { protocolVersion: 4 });
    await new Promise<void>((resolve) => fake.once("connect", () => resolve()));
    await fake.publishAsync("tele/mute-board/LWT", "Online", { retain: true });
    try {
      const { file } = gateConfig("mute", { type: "tasmota", topic: "mute-board" });
      const result = await runCliInProcess(["-c", file, "relay", "test", "turnstile"]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe(
        "relay turnstile: no answer from the board within 1 s — check power, Wi-Fi and the MQTT topic (cmnd/mute-board/POWER1)\n",
      );
    } finally {
      await fake.publishAsync("tele/mute-board/LWT", "", { retain: true });
      await fake.endAsync();
    }
  });

  it("says the board is offline when its availability never says online", async () => {
    const { file } = gateConfig("ghost", { type: "tasmota", topic: "ghost-board" });
    const result = await runCliInProcess(["-c", file, "relay", "test", "turnstile", "--json"]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      result: "failed",
      error: "offline",
      message:
        'relay turnstile: the board is offline (no "online" on tele/ghost-board/LWT) — check power, Wi-Fi and the MQTT topic (cmnd/ghost-board/POWER1)',
    });
  });

  it("says the broker cannot be reached", async () => {
    const port = await freeLoopbackPort();
    const { file } = gateConfig("nobroker", { type: "tasmota", topic: "x" }, `mqtt://127.0.0.1:${port}`);
    const result = await runCliInProcess(["-c", file, "relay", "test", "turnstile"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`cannot reach the broker mqtt://127.0.0.1:${port} within 5 s`);
  });
});
