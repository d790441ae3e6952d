import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { SqliteAllowlistStore } from "../daemon/allowlist/sqlite-allowlist-store.js";
import { EXAMPLE_TRUST, freshKey } from "../daemon/allowlist/testing/test-bodies.js";
import { Journal } from "../daemon/journal/journal.js";
import { TestMosquitto } from "../daemon/mqtt/testing/mosquitto.js";
import { encodeEd25519Token } from "../daemon/verify/pg1-encoder.js";
import { systemClock } from "../platform/clock.js";
import { openDatabase } from "../platform/database/database.js";
import { TasmotaEmulator } from "../sim/devices/tasmota-emulator.js";
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

let broker: TestMosquitto;
let server: RegistryServer;
let url: string;
let tmp: GateDb;

beforeAll(async () => {
  broker = await TestMosquitto.start();
  const started = startRegistry();
  server = started.server;
  url = await started.url;
});
afterAll(async () => {
  await server.stop();
  await broker.close();
});
beforeEach(() => {
  tmp = new GateDb();
});
afterEach(() => tmp.close());

describe("the audit trail of a grant whose turnstile never opened", () => {
  it("journals not_opened linked to the grant and uploads it as not passed, even after the grant went up", async () => {
    const phone = freshKey();
    server.publish([put(71, { roles: ["staff"], ed25519: { publicKey: phone.publicKey, period: 30 } })]);
    const tokenFile = join(tmp.dir, "token");
    writeFileSync(tokenFile, `${GOOD_TOKEN}\n`);
    const config = configSchema.parse({
      site: SITE,
      gate: "main-1",
      timezone: "Europe/Moscow",
      storage: { path: join(tmp.dir, "daemon.db") },
      registry: { url, tokenFile, trustedKeys: EXAMPLE_TRUST, pollInterval: "1h" },
      // Uploads often: the grant goes up before its relay has answered.
      sync: { uploadInterval: "200ms" },
      mqtt: { url: broker.url, reconnectMin: "100ms", reconnectMax: "400ms", confirmTimeout: "2s" },
      readers: [{ id: "in", direction: "in", source: { type: "stdin" } }],
      relays: [
        { id: "turnstile", reader: "in", driver: { type: "tasmota", topic: "ts-audit" }, pulse: "1s" },
      ],
      policy: { rules: [{ name: "staff", roles: ["staff"] }] },
    });
    // The board is online and takes the command but never reports the relay on.
    const board = new TasmotaEmulator("ts-audit");
    board.reportState = false;
    await board.start(broker.url);
    const stdin = new PassThrough();
    const daemon = await startDaemon(config, { stdin, logger: memoryLogger().logger, clock: systemClock });
    let grantId: string | undefined;
    try {
      const reading = openDatabase(config.storage.path);
      try {
        const store = SqliteAllowlistStore.open(reading);
        await until(() => store.get("71") !== undefined, 5000);
      } finally {
        reading.close();
      }
      stdin.write(`${encodeEd25519Token(71n, Math.floor(Date.now() / 30_000), phone.privateKey)}\n`);
      await until(() => board.opens.length === 1, 5000);
      const uploaded = () => [...server.events.values()].filter((e) => e.credential === "71");
      // The grant goes up while the gate still waits for the board (2 s): as a grant.
      await until(() => uploaded().length === 1, 5000);
      expect(uploaded()).toEqual([
        expect.objectContaining({ result: "granted", reason: "ok", passed: true }),
      ]);
      await until(() => uploaded().some((e) => e.reason === "not_opened"), 10_000);
      const [grant, notOpened] = uploaded();
      grantId = grant?.id as string;
      expect(notOpened).toMatchObject({
        gate: "main-1",
        reader: "in",
        credential: "71",
        person: grant?.person,
        result: null,
        reason: "not_opened",
        passed: false,
      });
      expect(uploaded()).toHaveLength(2);
    } finally {
      stdin.end();
      await daemon.stop();
      await board.stop();
    }
    const db = openDatabase(config.storage.path);
    try {
      const entries = Journal.open(db)
        .since(0, 100)
        .filter((e) => e.credential === "71");
      expect(entries.map((e) => `${e.kind}:${e.reason}`)).toEqual(["decision:ok", "passage:not_opened"]);
      expect(entries[1]?.data).toEqual({ decision: grantId, relay: "turnstile", error: "unconfirmed" });
    } finally {
      db.close();
    }
  });
});
