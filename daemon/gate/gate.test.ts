import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { configSchema } from "../../config/schema.js";
import { type Db, openDatabase } from "../../platform/database/database.js";
import { createLogger } from "../../platform/log/logger.js";
import { FakeClock } from "../../platform/testing/fake-clock.js";
import type { AllowlistStore } from "../allowlist/allowlist-store.js";
import { credentialSchema } from "../allowlist/credential.js";
import { FakeAllowlistStore } from "../allowlist/testing/fake-allowlist-store.js";
import { Journal } from "../journal/journal.js";
import { migrateGateState } from "../state/gate-state-schema.js";
import { ModeStore } from "../state/mode-store.js";
import { ReplayGuard } from "../state/replay-guard.js";
import { publicKeyText } from "../trust/key-file.js";
import { encodeEd25519Token, encodeTotpToken, totpValue } from "../verify/pg1-encoder.js";
import type { Gate } from "./gate.js";
import { rememberJournaledGrants } from "./replay-rebuild.js";
import { gateOnDatabase } from "./testing/gate-on-database.js";

const phone = generateKeyPairSync("ed25519");
const totp = { secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", algorithm: "SHA1" as const, digits: 8 as const };
const NOW = Date.parse("2026-11-24T09:00:10Z");
const STEP = Math.floor(NOW / 30_000);

const config = configSchema.parse({
  site: "demo-campus",
  gate: "main-1",
  timezone: "Europe/Moscow",
  policy: {
    rules: [{ name: "everyone", roles: ["student", "staff"] }],
    antiPassback: { mode: "hard" },
    lockout: { attempts: 3, within: "10m", lockFor: "15m" },
  },
});

function allowlist(): FakeAllowlistStore {
  const store = new FakeAllowlistStore();
  store.put(
    credentialSchema.parse({
      id: "1001",
      person: "p-1001",
      roles: ["student"],
      status: "active",
      scheme: "ed25519",
      ed25519: { publicKey: publicKeyText(phone.publicKey) },
    }),
  );
  store.put(
    credentialSchema.parse({
      id: "42",
      person: "p-0042",
      roles: ["staff"],
      status: "active",
      scheme: "totp",
      totp: { ...totp, period: 30 },
    }),
  );
  return store;
}

interface Rig {
  gate: Gate;
  db: Db;
  path: string;
  clock: FakeClock;
  logs: string[];
}

function rig(options: { path?: string; store?: AllowlistStore } = {}): Rig {
  const path = options.path ?? join(mkdtempSync(join(tmpdir(), "passgate-gate-")), "gate.db");
  const db = openDatabase(path);
  migrateGateState(db);
  const clock = new FakeClock(NOW);
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const store = options.store ?? allowlist();
  const journal = Journal.open(db);
  const replay = new ReplayGuard(db);
  // As the gate's storage does at start: its own grants come back from the journal.
  rememberJournaledGrants(journal, replay, store, { now: NOW, window: 1 });
  const gate = gateOnDatabase(db, store, config, NOW, {
    parts: { journal, replay, clock, logger: createLogger({ level: "debug", destination }) },
  });
  return { gate, db, path, clock, logs };
}

const IN = { id: "in", direction: "in" as const };
const OUT = { id: "out", direction: "out" as const };

describe("Gate.handleScan", () => {
  it("grants a valid token and journals the decision with credential and step, not the token", () => {
    const { gate, db, path } = rig();
    const token = encodeEd25519Token("1001", STEP, phone.privateKey);
    const outcome = gate.handleScan(token, IN);
    expect(outcome.decision).toMatchObject({ result: "granted", reason: "ok", rule: "everyone" });
    expect(outcome.entry).toMatchObject({
      seq: 1,
      kind: "decision",
      gate: "main-1",
      reader: "in",
      direction: "in",
      credential: "1001",
      person: "p-1001",
      step: STEP,
      result: "granted",
      reason: "ok",
    });
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    const bytes = readFileSync(path).toString("latin1");
    expect(bytes).not.toContain(token.slice(4, 40));
    expect(bytes).toContain("p-1001");
  });

  it("refuses the same token twice, also after a restart", () => {
    const first = rig();
    const token = encodeTotpToken("42", STEP, totpValue(totp, STEP));
    expect(first.gate.handleScan(token, IN).decision.reason).toBe("ok");
    expect(first.gate.handleScan(token, OUT).decision.reason).toBe("replayed");
    first.db.close();
    const second = rig({ path: first.path });
    expect(second.gate.handleScan(token, OUT).decision).toMatchObject({
      result: "denied",
      reason: "replayed",
    });
    expect(
      second.gate.handleScan(encodeTotpToken("42", STEP + 1, totpValue(totp, STEP + 1)), OUT).decision.reason,
    ).toBe("ok");
  });

  it("keeps anti-passback state per person: a second entry in a row is denied, an exit is granted", () => {
    const { gate } = rig();
    expect(gate.handleScan(encodeEd25519Token("1001", STEP, phone.privateKey), IN).decision.reason).toBe(
      "ok",
    );
    expect(gate.handleScan(encodeEd25519Token("1001", STEP + 1, phone.privateKey), IN).decision.reason).toBe(
      "anti_passback",
    );
    expect(gate.handleScan(encodeEd25519Token("1001", STEP + 1, phone.privateKey), OUT).decision.reason).toBe(
      "ok",
    );
  });

  it("locks a credential out after repeated forged codes, then denies even a valid one", () => {
    const { gate, clock } = rig();
    const forger = generateKeyPairSync("ed25519").privateKey;
    for (let i = 0; i < 3; i++) {
      expect(gate.handleScan(encodeEd25519Token("1001", STEP, forger), IN).decision.reason).toBe(
        "bad_signature",
      );
    }
    expect(gate.handleScan(encodeEd25519Token("1001", STEP, phone.privateKey), IN).decision.reason).toBe(
      "locked_out",
    );
    clock.advance(15 * 60_000);
    const later = Math.floor(clock.now() / 30_000);
    expect(gate.handleScan(encodeEd25519Token("1001", later, phone.privateKey), IN).decision.reason).toBe(
      "ok",
    );
  });

  it("after forty bad codes with a victim's id at one reader, grants the victim at another and throttles that reader", () => {
    const { gate, db, clock, logs } = rig();
    const valid = new Set([STEP - 1, STEP, STEP + 1].map((s) => totpValue(totp, s)));
    const wrongCodes = Array.from({ length: 50 }, (_, i) => (totpValue(totp, STEP) + 1 + i) % 1e6).filter(
      (c) => !valid.has(c),
    );
    const wrong = (i: number) => encodeTotpToken("42", STEP, wrongCodes[i] ?? 0);
    const reasons = Array.from({ length: 40 }, (_, i) => gate.handleScan(wrong(i), IN).decision.reason);
    // Three bad codes lock "42" at this reader; the eighth uses up the reader's guesses.
    expect(reasons.slice(0, 3)).toEqual(["bad_signature", "bad_signature", "bad_signature"]);
    expect(reasons.slice(3, 8)).toEqual(Array(5).fill("locked_out"));
    expect(new Set(reasons.slice(8))).toEqual(new Set(["reader_throttled"]));
    const victim = encodeTotpToken("42", STEP, totpValue(totp, STEP));
    expect(gate.handleScan(victim, OUT).decision).toMatchObject({ result: "granted", reason: "ok" });
    // The throttled reader refuses everyone, valid or not, without verifying.
    expect(gate.handleScan(encodeEd25519Token("1001", STEP, phone.privateKey), IN).decision.reason).toBe(
      "reader_throttled",
    );
    const alarms = Journal.open(db)
      .tail(100)
      .filter((e) => e.kind === "alarm");
    expect(alarms).toMatchObject([{ reader: "in", reason: "reader_throttled", credential: null }]);
    expect(logs.join("")).toContain("reader throttled");
    // One guess comes back an hour later.
    clock.advance(60 * 60_000);
    const later = Math.floor(clock.now() / 30_000);
    expect(gate.handleScan(encodeEd25519Token("1001", later, phone.privateKey), IN).decision.reason).toBe(
      "ok",
    );
  });

  it("a bridged scan: journaled with its bridge and number; one that waited too long is denied stale_scan unread", () => {
    const { gate, clock } = rig();
    const token = encodeEd25519Token("1001", STEP, phone.privateKey);
    const bridged = (ageMs: number, seq: number) => ({
      member: "bridge:lane-1",
      seq,
      scannedAt: clock.now() - ageMs,
      maxAgeMs: 2_000,
    });
    const late = gate.handleScan(token, IN, bridged(2_001, 7));
    expect(late.decision).toMatchObject({ result: "denied", reason: "stale_scan" });
    expect(late.entry).toMatchObject({
      reason: "stale_scan",
      credential: null,
      data: { bridge: "bridge:lane-1", seq: 7, scannedAt: clock.now() - 2_001 },
    });
    // Not spent: the same token, in time, is granted.
    const inTime = gate.handleScan(token, IN, bridged(1_999, 8));
    expect(inTime.decision).toMatchObject({ result: "granted", reason: "ok" });
    expect(inTime.entry?.data).toMatchObject({ bridge: "bridge:lane-1", seq: 8 });
  });

  it("journals every kind of scan, including garbage, and the chain verifies", () => {
    const { gate, db } = rig();
    const scans = [
      "",
      "PG1:",
      "x".repeat(10_000),
      "PG1:%%%",
      encodeEd25519Token("7", STEP, phone.privateKey),
    ];
    const reasons = scans.map((s) => gate.handleScan(s, IN).decision.reason);
    expect(reasons).toEqual(["malformed", "malformed", "malformed", "malformed", "unknown_credential"]);
    const journal = Journal.open(db);
    expect(journal.verify()).toMatchObject({ ok: true, entries: 5 });
    expect(journal.tail(10).map((e) => e.credential)).toEqual([null, null, null, null, null]);
  });

  it("denies with internal_error, without throwing, when the allowlist lookup throws", () => {
    const broken: AllowlistStore = {
      get: () => {
        throw new Error("disk I/O error");
      },
      stats: () => ({ site: null, version: null, count: 0, issuedAt: null, syncedAt: null }),
    };
    const { gate, logs, db } = rig({ store: broken });
    const token = encodeEd25519Token("1001", STEP, phone.privateKey);
    const outcome = gate.handleScan(token, IN);
    expect(outcome.decision).toEqual({ result: "denied", reason: "internal_error", flags: [] });
    expect(outcome.entry?.reason).toBe("internal_error");
    expect(Journal.open(db).verify().ok).toBe(true);
    expect(logs.join("")).toContain("disk I/O error");
    expect(logs.join("")).not.toContain(token.slice(4));
  });

  it("denies with internal_error when the journal cannot be written, and never grants", () => {
    const { gate, db } = rig();
    db.exec(
      "CREATE TRIGGER full_disk BEFORE INSERT ON journal BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
    );
    const token = encodeEd25519Token("1001", STEP, phone.privateKey);
    const outcome = gate.handleScan(token, IN);
    expect(outcome.decision).toMatchObject({ result: "denied", reason: "internal_error" });
    expect(outcome.entry).toBeUndefined();
    // The grant's state change rolled back with the journal entry: the token was never used.
    db.exec("DROP TRIGGER full_disk");
    expect(gate.handleScan(token, IN).decision.reason).toBe("ok");
    // The one decision missing is told by a gap record before the grant.
    expect(Journal.open(db).verify()).toMatchObject({ ok: true, entries: 2 });
  });

  it("a full disk for N decisions: each denied unjournaled, then one journal_gap with count N and their time range", () => {
    const { gate, db, clock, logs } = rig();
    // A real SQLITE_FULL: the file may not grow past the pages it has, and scans fill the
    // last pages until the journal no longer fits.
    const pages = db.pragma("page_count", { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    const before: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const outcome = gate.handleScan(`garbage ${i}`, IN);
      if (outcome.entry === undefined) break;
      before.push(outcome.entry.seq);
    }
    expect(before.length).toBeLessThan(1000);
    const firstFailed = clock.now();
    // The scan that hit the full disk was the first missing one; four more follow, 1 s apart.
    for (let i = 0; i < 4; i++) {
      clock.advance(1000);
      const outcome = gate.handleScan(encodeEd25519Token("1001", STEP, phone.privateKey), IN);
      expect(outcome.decision).toMatchObject({ result: "denied", reason: "internal_error" });
      expect(outcome.entry).toBeUndefined();
    }
    const lastFailed = clock.now();
    expect(logs.join("")).toContain("SQLITE_FULL");

    db.pragma("max_page_count = 1073741823");
    clock.advance(1000);
    const recovered = gate.handleScan(encodeEd25519Token("1001", STEP, phone.privateKey), IN);
    expect(recovered.decision.reason).toBe("ok");
    clock.advance(1000);
    gate.handleScan("garbage after", IN);

    const journal = Journal.open(db);
    const after = journal.since(before.at(-1) ?? 0, 10);
    expect(after.map((e) => [e.kind, e.reason])).toEqual([
      ["alarm", "journal_gap"],
      ["decision", "ok"],
      ["decision", "malformed"],
    ]);
    expect(after[0]).toMatchObject({
      at: firstFailed,
      data: { count: 5, first: firstFailed, last: lastFailed },
    });
    expect(journal.verify()).toMatchObject({ ok: true });
    expect(logs.join("")).toContain("journal_gap");
  });

  it("journals a grant whose relay never opened as not_opened, linked to the decision", () => {
    const { gate, db, clock } = rig();
    const granted = gate.handleScan(encodeEd25519Token("1001", STEP, phone.privateKey), IN);
    if (granted.entry === undefined) throw new Error("the grant was not journaled");
    clock.advance(1500);
    gate.recordNotOpened(granted.entry, { relay: "arm-in", error: "unconfirmed" });
    const [, notOpened] = Journal.open(db).tail(2);
    expect(notOpened).toMatchObject({
      kind: "passage",
      at: NOW + 1500,
      reader: "in",
      direction: "in",
      credential: "1001",
      person: "p-1001",
      result: null,
      reason: "not_opened",
      data: { decision: granted.entry.id, relay: "arm-in", error: "unconfirmed" },
    });
  });

  it("follows the persisted mode: lockdown denies a valid token", () => {
    const { db } = rig();
    ModeStore.load(db, { mode: "normal", since: NOW, source: "config" }).set({
      mode: "lockdown",
      since: NOW,
      source: "test",
    });
    const reopened = rig({ path: db.name });
    expect(
      reopened.gate.handleScan(encodeEd25519Token("1001", STEP, phone.privateKey), IN).decision.reason,
    ).toBe("lockdown");
  });

  it("counts decisions by result and reason", () => {
    const { gate } = rig();
    gate.handleScan("nonsense", IN);
    gate.handleScan("nonsense", IN);
    gate.handleScan(encodeEd25519Token("1001", STEP, phone.privateKey), IN);
    expect(Object.fromEntries(gate.decisionCounts())).toEqual({ "denied:malformed": 2, "granted:ok": 1 });
  });
});
