import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { credentialSchema } from "../daemon/allowlist/credential.js";
import { FakeAllowlistStore } from "../daemon/allowlist/testing/fake-allowlist-store.js";
import { stalenessBudgets } from "../daemon/decide/staleness.js";
import type { Gate } from "../daemon/gate/gate.js";
import { gateOnDatabase } from "../daemon/gate/testing/gate-on-database.js";
import { publicKeyText } from "../daemon/trust/key-file.js";
import { encodeEd25519Token } from "../daemon/verify/pg1-encoder.js";
import { openDatabase } from "../platform/database/database.js";
import { exhaustedRoles, StalenessWatch } from "./staleness-watch.js";

const H = 3_600_000;
const NOW = Date.parse("2026-11-24T09:00:10Z");
const STEP = Math.floor(NOW / 30_000);
const phone = generateKeyPairSync("ed25519");

const config = configSchema.parse({
  site: "demo-campus",
  gate: "main-1",
  timezone: "Europe/Moscow",
  policy: { rules: [{ name: "everyone", roles: ["visitor", "staff"] }] },
  sync: { staleness: { visitor: "12h", staff: "7d" } },
});

function store(): FakeAllowlistStore {
  const s = new FakeAllowlistStore();
  for (const [id, role] of [
    ["1", "visitor"],
    ["2", "staff"],
  ] as const) {
    s.put(
      credentialSchema.parse({
        id,
        person: `p-${id}`,
        roles: [role],
        status: "active",
        scheme: "ed25519",
        ed25519: { publicKey: publicKeyText(phone.publicKey) },
      }),
    );
  }
  return s;
}

function gateOver(allowlist: FakeAllowlistStore): Gate {
  return gateOnDatabase(openDatabase(":memory:"), allowlist, config, NOW, {
    settings: { staleness: stalenessBudgets(config) },
  });
}

const IN = { id: "in", direction: "in" as const };
const scan = (gate: Gate, id: string, step = STEP) =>
  gate.handleScan(encodeEd25519Token(id, step, phone.privateKey), IN).decision;

describe("staleness at the gate (sync.staleness from config)", () => {
  it("denies a visitor but not staff on a 13 h old allowlist", () => {
    const allowlist = store();
    allowlist.setStats({ syncedAt: NOW - 13 * H });
    const gate = gateOver(allowlist);
    expect(scan(gate, "1")).toMatchObject({ result: "denied", reason: "allowlist_stale" });
    expect(scan(gate, "2")).toMatchObject({ result: "granted" });
  });

  it("lets both pass on a fresh allowlist, and denies both once it is 8 days old", () => {
    const allowlist = store();
    allowlist.setStats({ syncedAt: NOW - H });
    const gate = gateOver(allowlist);
    expect(scan(gate, "1")).toMatchObject({ result: "granted" });
    allowlist.setStats({ syncedAt: NOW - 192 * H });
    expect(scan(gate, "2", STEP - 1)).toMatchObject({ result: "denied", reason: "allowlist_stale" });
  });

  it("never synced: stale for budgeted roles", () => {
    const gate = gateOver(store());
    expect(scan(gate, "2")).toMatchObject({ result: "denied", reason: "allowlist_stale" });
  });
});

describe("StalenessWatch", () => {
  it("raises one alarm per role when its budget runs out, and notes when fresh again", () => {
    const allowlist = store();
    const budgets = stalenessBudgets(config);
    if (budgets === undefined) throw new Error("budgets expected");
    const alarms: string[] = [];
    const fresh: string[][] = [];
    const watch = new StalenessWatch(
      allowlist,
      budgets,
      (a) => alarms.push(a.role),
      (roles) => fresh.push([...roles]),
    );
    allowlist.setStats({ syncedAt: NOW });
    watch.check(NOW + 11 * H);
    expect(alarms).toEqual([]);
    watch.check(NOW + 13 * H);
    watch.check(NOW + 14 * H);
    expect(alarms).toEqual(["visitor"]);
    watch.check(NOW + 8 * 24 * H);
    expect(alarms).toEqual(["visitor", "staff"]);
    allowlist.setStats({ syncedAt: NOW + 8 * 24 * H });
    watch.check(NOW + 8 * 24 * H + 1000);
    expect(fresh).toEqual([["visitor", "staff"]]);
  });

  it("exhaustedRoles reports the default budget as *", () => {
    expect(exhaustedRoles({ byRole: { a: 10 }, default: 5 }, 7).map((a) => a.role)).toEqual(["*"]);
    expect(exhaustedRoles({ byRole: { a: 10 }, default: 5 }, 11).map((a) => a.role)).toEqual(["a", "*"]);
  });
});
