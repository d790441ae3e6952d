import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { SqliteAllowlistStore } from "../daemon/allowlist/sqlite-allowlist-store.js";
import { EXAMPLE_TRUST, freshKey } from "../daemon/allowlist/testing/test-bodies.js";
import { Journal } from "../daemon/journal/journal.js";
import { encodeEd25519Token } from "../daemon/verify/pg1-encoder.js";
import { systemClock } from "../platform/clock.js";
import { openDatabase } from "../platform/database/database.js";
import type { RegistryServer } from "../sim/registry/registry-server.js";
import {
  GateDb,
  GOOD_TOKEN,
  memoryLogger,
  put,
  SITE,
  startRegistry,
  until,
} from "../test/fixtures/sync-fixture.js";
import { startDaemon } from "./gate-app.js";

let server: RegistryServer;
let url: string;
let tmp: GateDb;

beforeAll(async () => {
  const started = startRegistry();
  server = started.server;
  url = await started.url;
});
afterAll(() => server.stop());
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
    server.publish([put(70, cred)]);
    const config = gateConfig(url);
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
      server.publish([put(70, { ...cred, status: "revoked" })]);
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
});
