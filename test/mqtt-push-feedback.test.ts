import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDaemon } from "../app/gate-app.js";
import { configSchema } from "../config/schema.js";
import { SqliteAllowlistStore } from "../daemon/allowlist/sqlite-allowlist-store.js";
import { EXAMPLE_TRUST, freshKey } from "../daemon/allowlist/testing/test-bodies.js";
import { TestMosquitto, waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { encodeEd25519Token } from "../daemon/verify/pg1-encoder.js";
import { systemClock } from "../platform/clock.js";
import { openDatabase } from "../platform/database/database.js";
import type { RegistryServer } from "../sim/registry/registry-server.js";
import { GateDb, GOOD_TOKEN, memoryLogger, put, SITE, startRegistry } from "./fixtures/sync-fixture.js";

let broker: TestMosquitto;
let registry: RegistryServer;
let registryUrl: string;

beforeAll(async () => {
  broker = await TestMosquitto.start();
  const started = startRegistry();
  registry = started.server;
  registryUrl = await started.url;
});
afterAll(async () => {
  await registry.stop();
  await broker.close();
});

describe("the daemon on MQTT", () => {
  it("pulls at once on the registry's push, and tells the reader's display why, in English and Russian", async () => {
    const tmp = new GateDb();
    const phone = freshKey();
    const cred = { roles: ["staff"], ed25519: { publicKey: phone.publicKey, period: 30 } };
    registry.publish([put(71, cred)]);
    const tokenFile = join(tmp.dir, "token");
    writeFileSync(tokenFile, `${GOOD_TOKEN}\n`);
    const config = configSchema.parse({
      site: SITE,
      gate: "main-1",
      timezone: "Europe/Moscow",
      storage: { path: join(tmp.dir, "gate.db") },
      // A poll interval of an hour: only the push can bring the revocation in time.
      registry: { url: registryUrl, tokenFile, trustedKeys: EXAMPLE_TRUST, pollInterval: "1h" },
      mqtt: { url: broker.url },
      readers: [{ id: "in", direction: "in", source: { type: "stdin" } }],
      policy: { rules: [{ name: "staff", roles: ["staff"] }] },
    });
    const stdin = new PassThrough();
    const decisions: string[] = [];
    const daemon = await startDaemon(config, {
      stdin,
      logger: memoryLogger().logger,
      clock: systemClock,
      onDecision: (o) => decisions.push(o.decision.reason),
    });
    const watcher = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    const feedback: Record<string, unknown>[] = [];
    const raw: string[] = [];
    watcher.on("message", (_topic, payload) => {
      raw.push(payload.toString());
      feedback.push(JSON.parse(payload.toString()) as Record<string, unknown>);
    });
    await watcher.subscribeAsync(`passgate/${SITE}/main-1/reader/in/feedback`);
    try {
      const step = Math.floor(Date.now() / 30_000);
      const first = encodeEd25519Token(71n, step, phone.privateKey);
      await waitUntil(() => registry.requests.length > 0, "the first pull");
      // Scans until the first sync has landed and one is granted.
      for (let i = 0; !decisions.includes("ok") && i < 200; i++) {
        stdin.write(`${encodeEd25519Token(71n, step + (i % 2), phone.privateKey)}\n`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(decisions).toContain("ok");
      await waitUntil(() => feedback.some((f) => f.reason === "ok"), "feedback for the grant");
      expect(feedback.find((f) => f.reason === "ok")).toMatchObject({
        reader: "in",
        result: "granted",
        text: { en: "Welcome", ru: "Проходите" },
      });

      const version = registry.publish([put(71, { ...cred, status: "revoked" })]);
      await watcher.publishAsync(`pg/registry/${SITE}/changed`, JSON.stringify({ to: version }));
      const pulls = registry.requests.length;
      await waitUntil(() => registry.requests.length > pulls, "the pull after the push");
      // Watched from a second connection; a scan meanwhile would spend a token.
      const reading = openDatabase(config.storage.path);
      try {
        const store = SqliteAllowlistStore.open(reading);
        await waitUntil(() => store.get("71")?.status === "revoked", "the revocation in the store", 5000);
      } finally {
        reading.close();
      }
      const before = decisions.length;
      // A step within the window (±1) of now, and not one already spent above: the clock may
      // have passed a step boundary since `step` was taken.
      const nowStep = Math.floor(Date.now() / 30_000);
      const unspent = [nowStep - 1, nowStep, nowStep + 1].find((s) => s !== step && s !== step + 1) as number;
      stdin.write(`${encodeEd25519Token(71n, unspent, phone.privateKey)}\n`);
      await waitUntil(() => decisions.length > before, "a decision");
      const reason = decisions.at(-1);
      expect(reason).toBe("revoked");
      await waitUntil(() => feedback.some((f) => f.reason === "revoked"), "feedback for the denial");
      expect(feedback.find((f) => f.reason === "revoked")?.text).toEqual({
        en: "Pass revoked: see the guard",
        ru: "Пропуск отозван: обратитесь к охране",
      });
      for (const payload of raw) expect(payload).not.toContain(first.slice(4));
    } finally {
      await watcher.endAsync();
      await daemon.stop();
      tmp.close();
    }
  });
});
