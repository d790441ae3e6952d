import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { SqliteAllowlistStore } from "../daemon/allowlist/sqlite-allowlist-store.js";
import { EXAMPLE_TRUST, freshKey } from "../daemon/allowlist/testing/test-bodies.js";
import { Journal } from "../daemon/journal/journal.js";
import { TestMosquitto } from "../daemon/mqtt/testing/mosquitto.js";
import { alarmEventSchema, gateStateSchema } from "../daemon/mqtt/topics.js";
import { encodeEd25519Token } from "../daemon/verify/pg1-encoder.js";
import { systemClock } from "../platform/clock.js";
import { openDatabase } from "../platform/database/database.js";
import {
  GateDb,
  GOOD_TOKEN,
  memoryLogger,
  put,
  registryPerFile,
  SITE,
  until,
} from "../test/fixtures/sync-fixture.js";
import { startDaemon } from "./gate-app.js";
import { watchTopics } from "./testing/mqtt-gate-fixture.js";

const registry = registryPerFile();
let tmp: GateDb;
beforeEach(() => {
  tmp = new GateDb();
});
afterEach(() => tmp.close());

function gateConfig(registryUrl: string, extra: Record<string, unknown> = {}) {
  const tokenFile = join(tmp.dir, "token");
  writeFileSync(tokenFile, `${GOOD_TOKEN}\n`);
  return configSchema.parse({
    site: SITE,
    gate: "main-1",
    timezone: "Europe/Moscow",
    storage: { path: join(tmp.dir, "daemon.db") },
    registry: { url: registryUrl, tokenFile, trustedKeys: EXAMPLE_TRUST, pollInterval: "1h" },
    policy: { rules: [{ name: "staff", roles: ["staff"] }] },
    ...extra,
  });
}

describe("the daemon with a registry", () => {
  it("syncs at start, and a push (requestSync) revokes a credential at the gate", async () => {
    const phone = freshKey();
    const cred = { roles: ["staff"], ed25519: { publicKey: phone.publicKey, period: 30 } };
    registry.server.publish([put(70, cred)]);
    const config = gateConfig(registry.url);
    const daemon = await startDaemon(config, {
      stdin: new PassThrough(),
      logger: memoryLogger().logger,
      clock: systemClock,
    });
    const reader = { id: "in", direction: "in" as const };
    const step = Math.floor(Date.now() / 30_000);
    try {
      await until(
        () =>
          daemon.gate.handleScan(encodeEd25519Token(70n, step, phone.privateKey), reader).decision.result ===
          "granted",
      );
      registry.server.publish([put(70, { ...cred, status: "revoked" })]);
      const pushed = performance.now();
      daemon.requestSync();
      // Watched from a second connection: a scan would be granted (and then replayed) until it lands.
      const reading = openDatabase(config.storage.path);
      try {
        const store = SqliteAllowlistStore.open(reading);
        await until(() => store.get("70")?.status === "revoked", 5000);
      } finally {
        reading.close();
      }
      const unused = encodeEd25519Token(70n, step + 1, phone.privateKey);
      expect(daemon.gate.handleScan(unused, reader).decision).toMatchObject({
        result: "denied",
        reason: "revoked",
      });
      expect(performance.now() - pushed).toBeLessThan(5000);
    } finally {
      await daemon.stop();
    }
  });

  it("keeps deciding when the registry is unreachable, and journals a staleness alarm", async () => {
    const { logger, lines } = memoryLogger();
    const config = gateConfig("http://127.0.0.1:1", { sync: { staleness: { visitor: "12h", staff: "7d" } } });
    const daemon = await startDaemon(config, { stdin: new PassThrough(), logger, clock: systemClock });
    try {
      const outcome = daemon.gate.handleScan("not a token", { id: "in", direction: "in" });
      expect(outcome.decision).toMatchObject({ result: "denied", reason: "malformed" });
      await until(() => lines().some((l) => l.alarm === "allowlist_stale" && l.role === "staff"));
      await until(() =>
        lines().some(
          (l) =>
            l.msg === "registry unreachable or failing; retrying with backoff, the allowlist in force stays",
        ),
      );
    } finally {
      await daemon.stop();
    }
    const db = openDatabase(config.storage.path);
    try {
      const alarms = Journal.open(db)
        .since(0, 100)
        .filter((e) => e.kind === "alarm");
      expect(alarms.map((a) => a.data.role).sort()).toEqual(["staff", "visitor"]);
      expect(alarms.every((a) => a.reason === "allowlist_stale")).toBe(true);
    } finally {
      db.close();
    }
  });

  it("publishes the new allowlist version in the retained state after a sync, and a staleness alarm as an event", async () => {
    const broker = await TestMosquitto.start();
    const watched = await watchTopics(broker.url, `passgate/${SITE}/main-1/#`);
    const version = registry.server.publish([put(71, { roles: ["staff"] })]);
    const config = gateConfig(registry.url, { mqtt: { url: broker.url, siteShare: false } });
    const daemon = await startDaemon(config, {
      stdin: new PassThrough(),
      logger: memoryLogger().logger,
      clock: systemClock,
      clockSync: { probe: async () => undefined },
    });
    const last = () =>
      watched
        .json(`passgate/${SITE}/main-1/state`)
        .map((x) => gateStateSchema.parse(x))
        .at(-1);
    try {
      await until(() => last()?.allowlist?.version === version);
      expect(last()?.allowlist?.syncedAt).toBeGreaterThan(Date.now() - 60_000);
      const firstApplied = last()?.allowlist?.appliedAt ?? 0;
      expect(firstApplied).toBeGreaterThan(Date.now() - 60_000);
      const publishedAt = Date.now();
      const next = registry.server.publish([put(72, { roles: ["staff"] })]);
      daemon.requestSync();
      await until(() => last()?.allowlist?.version === next);
      // appliedAt is when the new version was committed: after it was published, not the first one's.
      expect(last()?.allowlist?.appliedAt).toBeGreaterThanOrEqual(publishedAt);
      expect(last()?.allowlist?.appliedAt).toBeGreaterThanOrEqual(firstApplied);
    } finally {
      await daemon.stop();
    }

    // A gate whose registry is unreachable: its staleness alarm goes out on the event topic.
    const stale = gateConfig("http://127.0.0.1:1", {
      gate: "main-2",
      storage: { path: join(tmp.dir, "stale.db") },
      mqtt: { url: broker.url, siteShare: false },
      sync: { staleness: { staff: "7d" } },
    });
    const watchedStale = await watchTopics(broker.url, `passgate/${SITE}/main-2/event`);
    const staleDaemon = await startDaemon(stale, {
      stdin: new PassThrough(),
      logger: memoryLogger().logger,
      clock: systemClock,
      clockSync: { probe: async () => undefined },
    });
    try {
      await until(() => watchedStale.json(`passgate/${SITE}/main-2/event`).length > 0);
      expect(
        watchedStale.json(`passgate/${SITE}/main-2/event`).map((e) => alarmEventSchema.parse(e)),
      ).toEqual([
        {
          type: "alarm",
          at: expect.any(Number),
          gate: "main-2",
          result: "allowlist_stale",
          role: "staff",
          budgetMs: 7 * 24 * 3_600_000,
          ageMs: null,
        },
      ]);
    } finally {
      await staleDaemon.stop();
      await watched.client.endAsync();
      await watchedStale.client.endAsync();
      await broker.close();
    }
  }, 30_000);
});
