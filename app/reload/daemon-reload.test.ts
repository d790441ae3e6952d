import { PassThrough } from "node:stream";
import { connect } from "mqtt";
import { describe, expect, it } from "vitest";
import { configSchema } from "../../config/schema.js";
import { waitUntil } from "../../daemon/mqtt/testing/mosquitto.js";
import { systemClock } from "../../platform/clock.js";
import { createLogger } from "../../platform/log/logger.js";
import { TasmotaEmulator } from "../../sim/devices/tasmota-emulator.js";
import { startDaemon } from "../gate-app.js";
import { brokerPerFile } from "../testing/broker-per-file.js";
import { exampleGate, nowStep, studentToken } from "../testing/mqtt-gate-fixture.js";

const broker = brokerPerFile();

describe("RunningDaemon.reload", () => {
  it("starts and stops only the changed readers, restarts relays, swaps the policy; the untouched reader loses nothing", async () => {
    const device = new TasmotaEmulator("ts-reload");
    await device.start(broker.url);
    const raw = {
      gate: "reload-1",
      mqtt: { url: broker.url },
      readers: [
        { id: "in", direction: "in", source: { type: "stdin" } },
        { id: "fw-a", direction: "in", source: { type: "mqtt", topic: "tele/fw-a/RESULT" } },
      ],
      relays: [{ id: "arm", reader: "in", driver: { type: "tasmota", topic: "ts-reload" }, pulse: "1s" }],
      policy: { rules: [{ name: "staff", roles: ["staff"] }] },
    };
    const { config } = await exampleGate(raw);
    const stdin = new PassThrough();
    const decided: { reader: string; result: string; reason: string }[] = [];
    const daemon = await startDaemon(config, {
      stdin,
      logger: createLogger({ level: "silent" }),
      clock: systemClock,
      onDecision: (outcome, scan) =>
        decided.push({
          reader: scan.reader,
          result: outcome.decision.result,
          reason: outcome.decision.reason,
        }),
    });
    const publisher = connect(broker.url);
    try {
      await waitUntil(() => publisher.connected, "publisher");
      const fw = (reader: string, text: string) =>
        publisher.publishAsync(`tele/${reader}/RESULT`, JSON.stringify({ SerialReceived: text }), { qos: 1 });
      let sent = 0;
      const stream = setInterval(() => stdin.write(`PG1:noise-${sent++}\n`), 2);
      const fromStdin = () => decided.filter((d) => d.reader === "in").length;
      await waitUntil(() => fromStdin() >= 20, "stdin decisions");
      await fw("fw-a", "PG1:from-a-1");
      await waitUntil(() => decided.some((d) => d.reader === "fw-a"), "a decision from fw-a");

      const diff = await daemon.reload(
        configSchema.parse({
          ...raw,
          timezone: "Europe/Moscow",
          storage: { path: config.storage.path },
          trust: { keyFile: config.trust.keyFile },
          site: "another-site",
          readers: [
            { id: "in", direction: "in", source: { type: "stdin" } },
            { id: "fw-b", direction: "out", source: { type: "mqtt", topic: "tele/fw-b/RESULT" } },
          ],
          relays: [{ id: "arm", reader: "in", driver: { type: "tasmota", topic: "ts-reload" }, pulse: "2s" }],
          policy: { rules: [{ name: "everyone", roles: ["staff", "student"] }] },
        }),
      );
      expect(diff.readers).toEqual({ added: ["fw-b"], removed: ["fw-a"], changed: [] });
      expect(diff.actuation).toBe(true);
      expect(diff.gateSettings).toBe(true);
      expect(diff.restartOnly).toEqual(["site"]);

      const afterReload = fromStdin();
      await waitUntil(() => fromStdin() >= afterReload + 20, "stdin decisions after the reload");
      await fw("fw-a", "PG1:from-a-2");
      await fw("fw-b", "PG1:from-b-1");
      await waitUntil(() => decided.some((d) => d.reader === "fw-b"), "a decision from fw-b");
      // The new policy and the restarted relay: a student is let in, with the new pulse length.
      await waitUntil(() => !device.isOn(1), "relay idle");
      stdin.write(`${studentToken(nowStep())}\n`);
      await waitUntil(() => decided.some((d) => d.result === "granted"), "the student's grant");
      await waitUntil(() => device.opens.length === 1, "the relay to open");
      expect(device.opens[0]?.ms).toBe(2_000);
      clearInterval(stream);
      stdin.end();
      await daemon.done;
      expect(fromStdin()).toBe(sent + 1);
      expect(decided.filter((d) => d.reader === "fw-a")).toHaveLength(1);
      expect(decided.filter((d) => d.reader === "fw-b")).toHaveLength(1);
    } finally {
      await publisher.endAsync(true);
      await daemon.stop();
      await device.stop();
    }
  });
});
