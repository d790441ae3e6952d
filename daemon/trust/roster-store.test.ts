import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../platform/database/database.js";
import { signedRoster } from "../../sim/registry/signed-roster.js";
import { publicKeyText } from "./key-file.js";
import { MAX_ROSTER_BYTES, readRosterBody } from "./roster-body.js";
import type { RosterMember } from "./roster-member.js";
import { RosterChangeError, RosterStore } from "./roster-store.js";

const dir = mkdtempSync(join(tmpdir(), "passgate-roster-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const registry = generateKeyPairSync("ed25519");
const registryPublic = publicKeyText(registry.publicKey);
const trust = { site: "s", trustedKeys: { "reg-1": registryPublic } };
const memberKey = () => publicKeyText(generateKeyPairSync("ed25519").publicKey);

const gateB: RosterMember = {
  id: "gate:b",
  kind: "gate",
  gate: "b",
  publicKey: memberKey(),
  status: "active",
};
const desk: RosterMember = {
  id: "operator:desk",
  kind: "operator",
  roles: ["guard"],
  publicKey: memberKey(),
  status: "active",
};

function body(
  version: number,
  members: readonly object[] = [gateB, desk],
  site = "s",
  key = { keyId: "reg-1", privateKey: registry.privateKey },
) {
  return Buffer.from(signedRoster({ site, version, issuedAt: "2026-12-01T00:00:00Z", members }, key));
}

let n = 0;
function store(): RosterStore {
  return RosterStore.open(openDatabase(join(dir, `gate-${++n}.db`)));
}

describe("a roster body (pg-roster/1)", () => {
  it("reads a signed snapshot whole", () => {
    const r = readRosterBody(body(4), trust);
    expect(r).toMatchObject({ ok: true, version: 4, members: [gateB, desk] });
  });

  it("refuses, with its reason, a roster a gate must not apply", () => {
    const reason = (b: Buffer) => {
      const r = readRosterBody(b, trust);
      return r.ok ? "ok" : r.reason;
    };
    const good = body(4);
    expect(reason(good)).toBe("ok");
    expect(reason(body(4, [gateB], "other-site"))).toBe("wrong_site");
    const otherKey = generateKeyPairSync("ed25519").privateKey;
    expect(reason(body(4, [gateB], "s", { keyId: "reg-1", privateKey: otherKey }))).toBe("bad_signature");
    expect(reason(body(4, [gateB], "s", { keyId: "reg-9", privateKey: registry.privateKey }))).toBe(
      "unknown_key",
    );
    const tampered = Buffer.from(good.toString().replace('"roles":["guard"]', '"roles":["admin"]'));
    expect(reason(tampered)).toBe("digest_mismatch");
    expect(reason(good.subarray(0, good.length - 5))).toBe("truncated");
    expect(reason(Buffer.concat([good, Buffer.from('{"type":"member"}\n')]))).toBe("data_after_trailer");
    expect(reason(body(4, [gateB, { ...gateB }]))).toBe("bad_record");
    expect(reason(body(4, [{ ...gateB, kind: "bridge" }]))).toBe("bad_record");
    expect(reason(Buffer.from(good.toString().replace('"count":2', '"count":3')))).toBe("count_mismatch");
    expect(reason(Buffer.from(good.toString().replace("pg-roster/1", "pg-allowlist/1")))).toBe(
      "wrong_format",
    );
    expect(reason(Buffer.alloc(MAX_ROSTER_BYTES + 1, 0x0a))).toBe("line_too_long");
    expect(reason(Buffer.from('{"type":"header"\n'))).toBe("malformed_line");
  });
});

describe("RosterStore", () => {
  it("keeps local members, refuses to touch registry ones, and a registry roster replaces all, only newer", () => {
    const s = store();
    expect(s.addLocal(gateB, 1_000)).toBe("added");
    expect(s.addLocal({ ...gateB, displayName: "Gate B" }, 2_000)).toBe("replaced");
    expect(s.list()).toEqual([
      { member: { ...gateB, displayName: "Gate B" }, origin: "local", addedAt: 2_000 },
    ]);
    expect(s.roster().get("gate:b")?.member.displayName).toBe("Gate B");

    const v4 = readRosterBody(body(4, [desk]), trust);
    if (!v4.ok) throw new Error(v4.message);
    expect(s.applyRegistry(v4, 3_000)).toEqual({ ok: true });
    // Replaced whole: the local gate:b entry is gone.
    expect(s.list().map((m) => [m.member.id, m.origin])).toEqual([["operator:desk", "registry"]]);
    expect(s.version()).toEqual({
      version: 4,
      issuedAt: Date.parse("2026-12-01T00:00:00Z"),
      appliedAt: 3_000,
    });
    expect(s.roster().version).toBe(4);
    expect(s.applyRegistry(v4, 4_000)).toEqual({ ok: false, reason: "version_not_newer", current: 4 });
    const v3 = readRosterBody(body(3, []), trust);
    if (!v3.ok) throw new Error(v3.message);
    expect(s.applyRegistry(v3, 4_000)).toMatchObject({ ok: false, reason: "version_not_newer" });
    expect(s.list()).toHaveLength(1);

    expect(() => s.removeLocal("operator:desk")).toThrow(RosterChangeError);
    expect(() => s.addLocal(desk, 5_000)).toThrow(/comes from the registry's roster/);
    expect(s.addLocal(gateB, 5_000)).toBe("added");
    expect(s.removeLocal("gate:b")).toBe("removed");
    expect(s.removeLocal("gate:b")).toBe("absent");
  });
});
