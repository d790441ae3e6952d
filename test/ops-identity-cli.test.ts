import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateGateState } from "../daemon/state/gate-state-schema.js";
import { ModeStore } from "../daemon/state/mode-store.js";
import { PresenceStore } from "../daemon/state/presence-store.js";
import { runCliInProcess } from "./cli-harness.js";
import { OpsGate } from "./ops-fixture.js";

const POLICY = `policy:
  zone: main
  antiPassback: { mode: hard }
  rules:
    - name: staff
      roles: [staff]
      directions: [in, out]
`;

let gate: OpsGate;
let config: string;
beforeEach(async () => {
  gate = new OpsGate();
  await gate.seed();
  config = gate.writeConfig(POLICY);
});
afterEach(() => gate.close());

const lookup = (...args: string[]) => runCliInProcess(["-c", config, "identity", "lookup", ...args]);

describe("passgate identity lookup", { timeout: 60_000 }, () => {
  it("a person: their credential, no key material, and a YES at the reader with the rule", async () => {
    const result = await lookup("p-1001");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("credential 1001\n  person     p-1001\n");
    expect(result.stdout).toContain("roles      student, staff");
    expect(result.stdout).toContain("assumes a valid, unused token");
    expect(result.stdout).toMatch(/^ {4}in {7}in {2}YES ok by rule staff$/m);
    expect(result.stdout).not.toContain("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
  });

  it("--json: verdicts per reader with the reason, never a TOTP secret", async () => {
    const result = await lookup("42", "--json");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ query: "42", relayStateKnown: false });
    expect(report.credentials).toHaveLength(1);
    expect(report.credentials[0]).toMatchObject({
      id: "42",
      person: "p-0042",
      scheme: "totp",
      verdicts: [{ reader: "in", direction: "in", result: "granted", reason: "ok", rule: "staff" }],
    });
    expect(result.stdout).not.toContain("GEZDGNBVGY3TQOJQ");
    expect(result.stdout).not.toContain("secret");
  });

  it("says why not: suspended, not allowed here, anti-passback, lockdown, expired at another time", async () => {
    expect(JSON.parse((await lookup("1002", "--json")).stdout).credentials[0].verdicts[0]).toMatchObject({
      result: "denied",
      reason: "suspended",
      says: "Pass suspended: see the guard",
    });
    expect((await lookup("2001")).stdout).toMatch(/NO {2}not_allowed_here/);

    const db = gate.open();
    migrateGateState(db);
    new PresenceStore(db).record("p-1001", "main", "in", Date.now() - 60_000);
    db.close();
    expect((await lookup("p-1001")).stdout).toMatch(/NO {2}anti_passback/);

    expect((await lookup("1001", "--at", "2027-08-01T00:00:00Z")).stdout).toMatch(/NO {2}credential_expired/);

    const db2 = gate.open();
    migrateGateState(db2);
    ModeStore.load(db2, { mode: "normal", since: 0, source: "config" }).set({
      mode: "lockdown",
      since: Date.now(),
      source: "cli",
    });
    db2.close();
    expect((await lookup("42")).stdout).toMatch(/NO {2}lockdown: "Gate closed"/);
  });

  it("not found: exit 1, both forms", async () => {
    const text = await lookup("p-9999");
    expect(text.code).toBe(1);
    expect(text.stdout).toBe('no credential or person "p-9999" in the allowlist\n');
    const json = await lookup("9999", "--json");
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).credentials).toEqual([]);
  });

  it("a bad --at is one line, exit 2; --help has examples", async () => {
    const bad = await lookup("42", "--at", "tomorrow");
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect((await runCliInProcess(["identity", "lookup", "--help"])).stdout).toContain(
      "Examples:\n  passgate identity lookup 1001",
    );
  });
});
