import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { publicKeyText } from "./key-file.js";
import { Roster } from "./roster.js";
import { rosterMemberSchema } from "./roster-member.js";

const publicKey = publicKeyText(generateKeyPairSync("ed25519").publicKey);

describe("a roster member", () => {
  it("takes a gate, a bridge with its readers and an operator with roles and gates", () => {
    for (const member of [
      { id: "gate:main-1", kind: "gate", gate: "main-1", publicKey, status: "active" },
      {
        id: "bridge:t1",
        kind: "bridge",
        gate: "main-1",
        readers: ["in", "out"],
        publicKey,
        status: "active",
      },
      {
        id: "op:desk",
        kind: "operator",
        roles: ["guard"],
        gates: ["main-1"],
        publicKey,
        status: "revoked",
        displayName: "Пост охраны 1",
      },
      { id: "op:admin", kind: "operator", roles: ["guard", "admin"], publicKey, status: "active" },
    ]) {
      expect(rosterMemberSchema.safeParse(member).success, member.id).toBe(true);
    }
  });

  it("refuses what does not fit its kind, a bad key, a bad id and unknown fields", () => {
    const base = { id: "gate:g", kind: "gate", gate: "g", publicKey, status: "active" };
    const refused = (m: Record<string, unknown>) => !rosterMemberSchema.safeParse(m).success;
    expect(refused({ ...base, readers: ["in"] })).toBe(true);
    expect(refused({ ...base, roles: ["admin"] })).toBe(true);
    expect(refused({ ...base, gate: undefined })).toBe(true);
    expect(refused({ id: "bridge:b", kind: "bridge", gate: "g", publicKey, status: "active" })).toBe(true);
    expect(refused({ id: "op:o", kind: "operator", publicKey, status: "active" })).toBe(true);
    expect(refused({ id: "op:o", kind: "operator", roles: ["root"], publicKey, status: "active" })).toBe(
      true,
    );
    expect(refused({ ...base, publicKey: "A".repeat(42) })).toBe(true);
    expect(refused({ ...base, id: "gate main" })).toBe(true);
    expect(refused({ ...base, id: "g".repeat(65) })).toBe(true);
    expect(refused({ ...base, status: "suspended" })).toBe(true);
    expect(refused({ ...base, note: "x" })).toBe(true);
  });

  it("a roster finds members by id and lists the active ones of a kind", () => {
    const roster = new Roster(
      [
        { id: "gate:a", kind: "gate", gate: "a", publicKey, status: "active" },
        { id: "gate:b", kind: "gate", gate: "b", publicKey, status: "revoked" },
        { id: "op:o", kind: "operator", roles: ["guard"], publicKey, status: "active" },
      ],
      3,
    );
    expect(roster.get("gate:b")?.member.status).toBe("revoked");
    expect(roster.get("gate:a")?.key?.asymmetricKeyType).toBe("ed25519");
    expect(roster.active("gate").map((m) => m.id)).toEqual(["gate:a"]);
    expect(roster.version).toBe(3);
    expect(roster.size).toBe(3);
  });
});
