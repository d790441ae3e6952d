import { createHmac, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { copyFileSync, createReadStream, createWriteStream, existsSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { ScureBase32Plugin } from "@otplib/plugin-base32-scure";
import type { Statement } from "better-sqlite3";
import { type Config, configSchema } from "../config/schema.js";
import { applyAllowlistBody } from "../daemon/allowlist/apply-body.js";
import { SqliteAllowlistStore } from "../daemon/allowlist/sqlite-allowlist-store.js";
import { Gate } from "../daemon/gate/gate.js";
import { Journal } from "../daemon/journal/journal.js";
import { migrateGateState } from "../daemon/state/gate-state-schema.js";
import { LockoutTracker } from "../daemon/state/lockout-tracker.js";
import { ModeStore } from "../daemon/state/mode-store.js";
import { PresenceStore } from "../daemon/state/presence-store.js";
import { ReaderGuesses } from "../daemon/state/reader-guesses.js";
import { ReplayGuard } from "../daemon/state/replay-guard.js";
import { encodeEd25519Token, encodeTotpToken, totpValue } from "../daemon/verify/pg1-encoder.js";
import { type ParsedToken, parseToken } from "../daemon/verify/pg1-token.js";
import { importEd25519PublicKey, TokenVerifier } from "../daemon/verify/verify-token.js";
import { type Db, openDatabase } from "../platform/database/database.js";
import { WalCheckpointer } from "../platform/database/wal-checkpointer.js";
import { createLogger } from "../platform/log/logger.js";
import { FakeClock } from "../platform/testing/fake-clock.js";
import { signedAllowlistLines } from "../sim/registry/signed-allowlist.js";
import {
  BENCH_REGISTRY_KEY_ID,
  benchPhoneKey,
  benchRecords,
  benchRegistryKey,
  benchScheme,
  benchTotpSecret,
} from "./bench-population.js";
import { type BenchResult, percentile } from "./bench-result.js";

export const SITE = "bench-campus";
/** Tuesday 2026-11-24 12:00:15 in Moscow: inside the students' schedule below. */
export const BASE_MS = Date.parse("2026-11-24T09:00:15Z");

/** Builds (or reuses) the cached store of `count` credentials through the real apply path. */
export async function cachedStore(
  cacheDir: string,
  count: number,
  log: (m: string) => void,
): Promise<string> {
  const path = join(cacheDir, `allowlist-${count}-v1.db`);
  if (existsSync(path)) return path;
  mkdirSync(cacheDir, { recursive: true });
  const bodyPath = join(cacheDir, `allowlist-${count}.ndjson`);
  log(`building the ${count}-credential store once (cached in ${cacheDir})…`);
  const header = {
    site: SITE,
    kind: "snapshot" as const,
    from: null,
    to: 1,
    issuedAt: new Date(BASE_MS).toISOString(),
    count,
  };
  await pipeline(
    signedAllowlistLines(header, benchRecords(count), {
      keyId: BENCH_REGISTRY_KEY_ID,
      privateKey: benchRegistryKey.privateKey,
    }),
    createWriteStream(bodyPath),
  );
  const building = `${path}.building`;
  rmSync(building, { force: true });
  const db = openDatabase(building);
  const result = await applyAllowlistBody(SqliteAllowlistStore.open(db), createReadStream(bodyPath), {
    site: SITE,
    trustedKeys: { [BENCH_REGISTRY_KEY_ID]: benchRegistryKey.publicKey },
    now: BASE_MS,
  });
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  rmSync(bodyPath, { force: true });
  if (!result.ok) throw new Error(`bench allowlist refused: ${result.reason}: ${result.message}`);
  copyFileSync(building, path);
  rmSync(building, { force: true });
  return path;
}

/** A deterministic pseudo-random sequence (mulberry32), so runs pick the same credentials. */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A token of credential `id` (of the scheme the bench population gives it) for `step`. */
export function benchToken(id: number, step: number): string {
  return benchScheme(id) === "totp"
    ? encodeTotpToken(
        String(id),
        step,
        totpValue({ secret: benchTotpSecret(id), algorithm: "SHA1", digits: 8 }, step),
      )
    : encodeEd25519Token(String(id), step, benchPhoneKey.privateKey);
}

/** The bench gate over `db`, with the stores it decides on (a site share writes into the same ones). */
export function gateOver(
  db: Db,
  clock: FakeClock,
): {
  gate: Gate;
  config: Config;
  allowlist: SqliteAllowlistStore;
  replay: ReplayGuard;
  presence: PresenceStore;
} {
  const config = configSchema.parse({
    site: SITE,
    gate: "bench-1",
    timezone: "Europe/Moscow",
    policy: {
      rules: [
        { name: "staff", roles: ["staff"] },
        { name: "students", roles: ["student"], schedule: "lectures" },
      ],
      schedules: { lectures: [{ days: ["mon", "tue", "wed", "thu", "fri"], from: "07:00", to: "22:00" }] },
      holidays: ["2026-12-31"],
      antiPassback: { mode: "soft" },
    },
  });
  migrateGateState(db);
  const allowlist = SqliteAllowlistStore.open(db);
  const replay = new ReplayGuard(db);
  const presence = new PresenceStore(db);
  const gate = new Gate(
    { gate: config.gate, timezone: config.timezone, policy: config.policy, window: config.token.window },
    {
      db,
      allowlist,
      verifier: new TokenVerifier(config.token.window),
      journal: Journal.open(db),
      replay,
      presence,
      lockout: new LockoutTracker(db, config.policy.lockout),
      guesses: new ReaderGuesses(db, config.policy.guessLimit),
      mode: ModeStore.load(db, { mode: "normal", since: BASE_MS, source: "config" }),
      clock,
      logger: createLogger({ level: "silent" }),
    },
  );
  return { gate, config, allowlist, replay, presence };
}

/**
 * A copy of the cached 10⁶-credential store in a folder of its own, opened as the daemon
 * opens it: checkpoints in their own thread, not inside a decision's commit. `close` stops
 * the thread, closes the database and removes the folder.
 */
export function openBenchGateDatabase(
  storePath: string,
  name: string,
): { readonly db: Db; readonly close: () => Promise<void> } {
  const runDir = join(tmpdir(), `passgate-bench-${process.pid}-${name}`);
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const dbPath = join(runDir, "gate.db");
  copyFileSync(storePath, dbPath);
  const db = openDatabase(dbPath);
  db.pragma("wal_autocheckpoint = 0");
  const checkpointer = new WalCheckpointer(dbPath, (m) => process.stderr.write(`checkpoint: ${m}\n`), 1000);
  checkpointer.start();
  return {
    db,
    close: async () => {
      await checkpointer.stop();
      db.close();
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

/**
 * The whole path from scan text to a committed journal entry (parse, look up among 10⁶
 * credentials, verify, replay/lockout/presence state, policy with a schedule, journal
 * append with the state it changes in one transaction), for one scheme, against the floor
 * measured in the same run on the same tokens: one primary-key lookup of the credential
 * row plus one node:crypto verify (Ed25519) or HMAC (TOTP) with a cached key. Every scan is
 * a grant. Then more scans with `synchronous = FULL` around each (`full_sync_*`): what
 * fsyncing each grant would cost on this disk, the option docs/storage.md weighs against
 * the record of unclean stops that passgate uses (daemon/state/run-record.ts).
 */
export async function benchScanPath(
  storePath: string,
  scheme: "totp" | "ed25519",
  options: { people: number; steps: number; credentials: number },
): Promise<BenchResult> {
  const { db, close } = openBenchGateDatabase(storePath, scheme);
  try {
    const clock = new FakeClock(BASE_MS);
    const { gate } = gateOver(db, clock);
    const next = random(scheme === "totp" ? 1 : 2);
    const ids = new Set<number>();
    while (ids.size < options.people) {
      const id = 1 + Math.floor(next() * options.credentials);
      if (benchScheme(id) === scheme) ids.add(id);
    }
    const people = [...ids];
    const base32 = new ScureBase32Plugin();
    const secrets = new Map(people.map((id) => [id, Buffer.from(base32.decode(benchTotpSecret(id)))]));
    const makeToken = (id: number, step: number) =>
      scheme === "totp"
        ? encodeTotpToken(
            String(id),
            step,
            totpValue({ secret: benchTotpSecret(id), algorithm: "SHA1", digits: 8 }, step),
          )
        : encodeEd25519Token(String(id), step, benchPhoneKey.privateKey);

    // The floor's own statement and key: what the cheapest possible gate would do.
    const lookup = db.prepare("SELECT body FROM allowlist_credential WHERE id = ?");
    const floorKey = importEd25519PublicKey(benchPhoneKey.publicKey)!;
    const check = floorCheck(lookup, floorKey, secrets);
    const floorOnce = (text: string) => {
      const token = parseToken(text)!;
      const t0 = process.hrtime.bigint();
      const ok = check(token);
      const t1 = process.hrtime.bigint();
      if (!ok) throw new Error("floor lookup or verify failed");
      return Number(t1 - t0) / 1000;
    };

    // The durable floor adds what no durable decision can skip: one single-row commit of a
    // journal-sized row into a table of the same WAL database, at the gate's `synchronous`.
    const durableOnce = durableFloor(db, lookup, floorKey, secrets);

    const baseStep = Math.floor(BASE_MS / 30_000);
    // Warm-up step: fills the key cache and SQLite's page cache, as a gate in service has them.
    clock.set(baseStep * 30_000 + 15_000);
    for (const id of people) gate.handleScan(makeToken(id, baseStep), { id: "in", direction: "in" });

    const path: number[] = [];
    const fullSync: number[] = [];
    const floor: number[] = [];
    const floorDurable: number[] = [];
    let granted = 0;
    for (let s = 1; s <= options.steps; s++) {
      const step = baseStep + s;
      clock.set(step * 30_000 + 15_000);
      const tokens = people.map((id) => makeToken(id, step));
      // Path and floor alternate in blocks so machine noise hits both alike, and take turns
      // going first so neither always finds the other's pages in the cache.
      for (let i = 0; i < tokens.length; i += 500) {
        const block = tokens.slice(i, i + 500);
        const runPath = () => {
          for (const text of block) {
            const t0 = process.hrtime.bigint();
            const outcome = gate.handleScan(text, { id: "in", direction: s % 2 === 0 ? "in" : "out" });
            path.push(Number(process.hrtime.bigint() - t0) / 1000);
            if (outcome.decision.result === "granted") granted++;
          }
        };
        const runFloor = () => {
          for (const text of block) floor.push(floorOnce(text));
        };
        const runDurable = () => {
          for (const text of block) floorDurable.push(durableOnce(text));
        };
        // Each of the three goes first, second and third in turn.
        const order = [runPath, runFloor, runDurable];
        const turn = (i / 500) % 3;
        for (let k = 0; k < 3; k++) order[(turn + k) % 3]?.();
      }
    }
    // Then the same path with each commit fsynced (`PRAGMA synchronous = FULL` around the
    // scan, a fresh PRAGMA each time: SQLite applies it when it prepares it), on the first
    // 1,000 people for as many steps more: after the shipped path, so its fsyncs and the
    // writeback they start do not land in the shipped path's timings.
    for (let s = options.steps + 1; s <= 2 * options.steps; s++) {
      const step = baseStep + s;
      clock.set(step * 30_000 + 15_000);
      for (const id of people.slice(0, 1000)) {
        const text = makeToken(id, step);
        const t0 = process.hrtime.bigint();
        db.exec("PRAGMA synchronous = FULL");
        const outcome = gate.handleScan(text, { id: "in", direction: s % 2 === 0 ? "in" : "out" });
        db.exec("PRAGMA synchronous = NORMAL");
        fullSync.push(Number(process.hrtime.bigint() - t0) / 1000);
        if (outcome.decision.result === "granted") granted++;
      }
    }
    if (granted !== path.length + fullSync.length)
      throw new Error(`bench expected every scan granted, got ${granted}/${path.length + fullSync.length}`);
    const p99 = percentile(path, 0.99);
    const floorP99 = percentile(floor, 0.99);
    const floorDurableP99 = percentile(floorDurable, 0.99);
    return {
      name: `scan_to_journal_${scheme}`,
      n: path.length,
      p50_us: percentile(path, 0.5),
      p99_us: p99,
      floor_p50_us: percentile(floor, 0.5),
      floor_p99_us: floorP99,
      ratio: p99 / floorP99,
      floor_durable_p50_us: percentile(floorDurable, 0.5),
      floor_durable_p99_us: floorDurableP99,
      ratio_durable: p99 / floorDurableP99,
      full_sync_n: fullSync.length,
      full_sync_p50_us: percentile(fullSync, 0.5),
      full_sync_p99_us: percentile(fullSync, 0.99),
      credentials: options.credentials,
      target: "p99_us < 1000 and ratio <= 1.5 and ratio_durable <= 1.3",
    };
  } finally {
    await close();
  }
}

/**
 * What both floors do for one token: one primary-key lookup of its credential row and one
 * verify with a cached key (Ed25519), or one HMAC (TOTP). True when the row is there and the
 * verify held.
 */
function floorCheck(
  lookup: Statement,
  key: KeyObject,
  secrets: ReadonlyMap<number, Buffer>,
): (token: ParsedToken) => boolean {
  const counter = Buffer.alloc(8);
  return (token) => {
    const row = lookup.get(token.credentialId);
    let ok: boolean;
    if (token.scheme === "ed25519") {
      ok = cryptoVerify(null, token.signedMessage, key, token.signature);
    } else {
      counter.writeBigUInt64BE(BigInt(token.step));
      ok =
        createHmac("sha1", secrets.get(Number(token.credentialId))!)
          .update(counter)
          .digest().length === 20;
    }
    return row !== undefined && ok;
  };
}

/**
 * The durable floor's one decision, as a function of the scan text: the floor's lookup and
 * verify, then one INSERT of a journal-sized row (the journal's columns, with a 64-hex hash
 * and prev_hash, a UUID and a rule in `data`) committed by itself into `bench_floor_journal`,
 * a table of the same WAL database with the connection's `synchronous`. No hashing, no
 * state: only what a gate that journals each decision durably cannot avoid. Microseconds.
 */
export function durableFloor(
  db: Db,
  lookup: Statement,
  key: KeyObject,
  secrets: ReadonlyMap<number, Buffer>,
): (text: string) => number {
  db.exec(`DROP TABLE IF EXISTS bench_floor_journal;
    CREATE TABLE bench_floor_journal (
      seq INTEGER PRIMARY KEY, id TEXT NOT NULL, at INTEGER NOT NULL, kind TEXT NOT NULL,
      gate TEXT NOT NULL, reader TEXT, direction TEXT, credential TEXT, person TEXT, step INTEGER,
      result TEXT, reason TEXT, data TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL
    ) STRICT`);
  const insert = db.prepare(
    "INSERT INTO bench_floor_journal VALUES (?, ?, ?, 'decision', 'bench-1', 'in', 'in', ?, ?, ?, 'granted', 'ok', ?, ?, ?)",
  );
  const check = floorCheck(lookup, key, secrets);
  const hash = "ab".repeat(32);
  const id = "0b7e5c1e-6a1f-4c1e-9d7a-2f8d3c4b5a69";
  const data = '{"rule":"students","scheme":"ed25519"}';
  let seq = 0;
  return (text) => {
    const token = parseToken(text)!;
    const t0 = process.hrtime.bigint();
    const ok = check(token);
    seq++;
    insert.run(
      seq,
      id,
      BASE_MS,
      token.credentialId,
      `person-${token.credentialId}`,
      token.step,
      data,
      hash,
      hash,
    );
    const t1 = process.hrtime.bigint();
    if (!ok) throw new Error("durable floor lookup or verify failed");
    return Number(t1 - t0) / 1000;
  };
}
