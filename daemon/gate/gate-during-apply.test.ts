import { generateKeyPairSync } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { configSchema } from "../../config/schema.js";
import { TempDatabase } from "../../platform/testing/temp-database.js";
import { applyAllowlistBody } from "../allowlist/apply-body.js";
import { SqliteAllowlistStore } from "../allowlist/sqlite-allowlist-store.js";
import {
  chunked,
  EXAMPLE_SITE,
  EXAMPLE_TRUST,
  putLine,
  registryCredential,
  signedBody,
} from "../allowlist/testing/test-bodies.js";
import { publicKeyText } from "../trust/key-file.js";
import { encodeEd25519Token } from "../verify/pg1-encoder.js";
import { gateOnDatabase } from "./testing/gate-on-database.js";

const phone = generateKeyPairSync("ed25519");
const PHONE = { ed25519: { publicKey: publicKeyText(phone.publicKey), period: 30 } };
const NOW = Date.parse("2026-11-24T09:00:10Z");
const STEP = Math.floor(NOW / 30_000);
const OPTIONS = { site: EXAMPLE_SITE, trustedKeys: EXAMPLE_TRUST, now: NOW };
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const database = new TempDatabase("passgate-gate-apply-");
afterEach(() => database.close());

/** A gate deciding on a real SQLite allowlist, the one the snapshot is applied to. */
function gateOnSqlite() {
  const db = database.open();
  const config = configSchema.parse({
    site: EXAMPLE_SITE,
    gate: "main-1",
    timezone: "Europe/Moscow",
    policy: { rules: [{ name: "everyone", roles: ["student"] }] },
  });
  const allowlist = SqliteAllowlistStore.open(db);
  const gate = gateOnDatabase(db, allowlist, config, NOW);
  return { db, gate, allowlist };
}

describe("a gate deciding while a snapshot applies", () => {
  it("decides every scan on the allowlist in force at that moment: the old one until the switch, the new one after", async () => {
    const { db, gate, allowlist } = gateOnSqlite();
    const v1 = signedBody(
      { to: 1 },
      range(1, 3000).map((id) => putLine(registryCredential(id, PHONE))),
    );
    expect(await applyAllowlistBody(allowlist, chunked(v1, 64 * 1024), OPTIONS)).toMatchObject({ ok: true });
    // v2 revokes 1..3000 and adds 3001..20000; it arrives as one chunk, as from a fast link.
    const v2 = signedBody(
      { to: 2 },
      range(1, 20_000).map((id) =>
        putLine(registryCredential(id, id <= 3000 ? { ...PHONE, status: "revoked" } : PHONE)),
      ),
    );

    const seen: { id: number; version: number | null; staged: boolean; result: string; reason: string }[] =
      [];
    let next = 1;
    let applying = true;
    const staged = () =>
      db
        .prepare(
          "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name LIKE 'allowlist\\_next\\_%' ESCAPE '\\'",
        )
        .get() !== undefined;
    // A scan every turn of the event loop, each by another person of v1.
    const scanOnce = () => {
      const id = next++;
      const version = allowlist.stats().version;
      const wasStaged = staged();
      const { decision } = gate.handleScan(encodeEd25519Token(String(id), STEP, phone.privateKey), {
        id: "in",
        direction: "in",
      });
      seen.push({ id, version, staged: wasStaged, result: decision.result, reason: decision.reason });
      if (applying && next <= 2990) setImmediate(scanOnce);
    };
    setImmediate(scanOnce);
    const result = await applyAllowlistBody(allowlist, chunked(v2, v2.length), OPTIONS);
    applying = false;
    // A scan scheduled before the apply ended still runs on the next turn: let it run now,
    // while the database is open, and none is scheduled after it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(result).toMatchObject({ ok: true, to: 2, count: 20_000 });
    for (let i = 0; i < 5; i++) scanOnce();

    const before = seen.filter((s) => s.version === 1);
    const after = seen.filter((s) => s.version === 2);
    // Scans were decided while the snapshot was being staged, not only before or after it.
    expect(before.filter((s) => s.staged).length).toBeGreaterThan(10);
    for (const s of before) expect(s).toMatchObject({ result: "granted", reason: "ok" });
    expect(after.length).toBeGreaterThanOrEqual(5);
    for (const s of after) expect(s).toMatchObject({ result: "denied", reason: "revoked" });
    // Each scan was journaled with the decision it got.
    const journaled = db.prepare("SELECT count(*) FROM journal").pluck().get() as number;
    expect(journaled).toBeGreaterThanOrEqual(seen.length);
  }, 60_000);
});
