import { createPrivateKey, createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { publicKeyText } from "./key-file.js";
import { NonceWindow } from "./nonce-window.js";
import { Roster } from "./roster.js";
import type { RosterMember } from "./roster-member.js";
import {
  MAX_MESSAGE_BYTES,
  signedMessageSchema,
  signingInput,
  signMessage,
  verifyMessage,
} from "./signed-message.js";

// RFC 8032 test 1: a fixed key, so the signing input below is a worked example.
const privateKey = createPrivateKey({
  key: Buffer.from(
    "302e020100300506032b6570042204209d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "hex",
  ),
  format: "der",
  type: "pkcs8",
});
const publicKey = publicKeyText(createPublicKey(privateKey));

const gateA: RosterMember = { id: "gate:a", kind: "gate", gate: "a", publicKey, status: "active" };
const TOPIC = "passgate/s/shared/replay";
const NOW = 1_796_000_000_000;

function check(overrides: Partial<Parameters<typeof verifyMessage>[2]> = {}) {
  return {
    roster: new Roster([gateA]),
    kinds: ["gate"] as const,
    now: NOW,
    nonces: new NonceWindow(60_000),
    ...overrides,
  };
}

function signed(body: Record<string, unknown> = { credential: "42", step: 7 }, at = NOW, nonce?: string) {
  return signMessage({ topic: TOPIC, signer: "gate:a", privateKey, body, at, ...(nonce ? { nonce } : {}) });
}

describe("the signed message envelope (site-roster.md)", () => {
  it("signs pg-msg/1, the topic and the RFC 8785 JSON of everything but the signature", () => {
    const message = {
      v: 1 as const,
      signer: "gate:a",
      at: 1796000000000,
      nonce: "AAECAwQFBgcICQoL",
      body: { step: 7, credential: "42", z: [1.5, "ю"], a: null },
    };
    expect(signingInput(TOPIC, message).toString("utf8")).toBe(
      'pg-msg/1\npassgate/s/shared/replay\n{"at":1796000000000,"body":{"a":null,"credential":"42","step":7,"z":[1.5,"ю"]},"nonce":"AAECAwQFBgcICQoL","signer":"gate:a","v":1}',
    );
    const m = signMessage({
      topic: TOPIC,
      signer: "gate:a",
      privateKey,
      body: message.body,
      at: message.at,
      nonce: message.nonce,
    });
    // Anyone holding the public key can check it with a plain Ed25519 verify over those bytes.
    expect(
      verify(null, signingInput(TOPIC, m), createPublicKey(privateKey), Buffer.from(m.sig, "base64url")),
    ).toBe(true);
    expect(signedMessageSchema.safeParse(m).success).toBe(true);
  });

  it("gives every message a nonce of 16 random bytes of its own, across refills of its pool", () => {
    const nonces = Array.from({ length: 1_000 }, () => signed().nonce);
    expect(new Set(nonces).size).toBe(1_000);
    for (const n of nonces) expect(Buffer.from(n, "base64url").toString("base64url")).toBe(n);
    expect(nonces.every((n) => Buffer.from(n, "base64url").length === 16)).toBe(true);
    // Not a counter or a constant: the bytes vary in every position.
    const distinctFirstBytes = new Set(nonces.map((n) => Buffer.from(n, "base64url")[0]));
    expect(distinctFirstBytes.size).toBeGreaterThan(100);
  });

  it("accepts a fresh message from an active member of an allowed kind, once", () => {
    const m = signed();
    const c = check();
    expect(verifyMessage(TOPIC, JSON.stringify(m), c)).toMatchObject({
      ok: true,
      signer: { id: "gate:a" },
      body: { credential: "42", step: 7 },
    });
    expect(verifyMessage(TOPIC, JSON.stringify(m), c)).toEqual({
      ok: false,
      reason: "repeated_nonce",
      signer: "gate:a",
    });
  });

  it("refuses, with its reason, each message a gate must not act on", () => {
    const reason = (
      payload: string | Buffer,
      overrides: Partial<Parameters<typeof verifyMessage>[2]> = {},
      topic = TOPIC,
    ) => {
      const v = verifyMessage(topic, payload, check(overrides));
      return v.ok ? "ok" : v.reason;
    };
    const good = signed();
    expect(reason(JSON.stringify(good))).toBe("ok");
    expect(reason("x".repeat(MAX_MESSAGE_BYTES + 1))).toBe("too_large");
    expect(reason("{not json")).toBe("malformed");
    expect(reason(JSON.stringify({ ...good, extra: 1 }))).toBe("malformed");
    expect(reason(JSON.stringify({ ...good, v: 2 }))).toBe("malformed");
    expect(reason(JSON.stringify({ ...good, nonce: Buffer.alloc(11).toString("base64url") }))).toBe(
      "malformed",
    );
    expect(reason(JSON.stringify({ ...good, nonce: Buffer.alloc(25).toString("base64url") }))).toBe(
      "malformed",
    );
    expect(reason(JSON.stringify({ ...good, at: 1.5 }))).toBe("malformed");
    expect(reason(JSON.stringify({ ...good, body: [1] }))).toBe("malformed");
    expect(reason(JSON.stringify({ ...good, signer: "gate:b" }))).toBe("unknown_signer");
    const revoked = new Roster([{ ...gateA, status: "revoked" }]);
    expect(reason(JSON.stringify(signed()), { roster: revoked })).toBe("revoked_signer");
    expect(reason(JSON.stringify(signed()), { kinds: ["operator"] })).toBe("wrong_kind");
    expect(reason(JSON.stringify({ ...good, body: { credential: "43", step: 7 } }))).toBe("bad_signature");
    // The topic is signed: the same message moved to another gate's topic does not verify.
    expect(reason(JSON.stringify(signed()), {}, "passgate/s/gate-b/request/pulse")).toBe("bad_signature");
    const other = generateKeyPairSync("ed25519").privateKey;
    const forged = signMessage({ topic: TOPIC, signer: "gate:a", privateKey: other, body: {}, at: NOW });
    expect(reason(JSON.stringify(forged))).toBe("bad_signature");
    expect(reason(JSON.stringify(signed(undefined, NOW - 30_001)))).toBe("stale");
    expect(reason(JSON.stringify(signed(undefined, NOW + 30_001)))).toBe("future");
    expect(reason(JSON.stringify(signed(undefined, NOW - 30_000)))).toBe("ok");
    expect(reason(JSON.stringify(signed(undefined, NOW - 5_000)), { freshnessMs: 2_000 })).toBe("stale");
  });

  it("a forged copy does not use up the nonce of the real message still on its way", () => {
    const real = signed(undefined, NOW, "AAECAwQFBgcICQoLDA0ODw");
    const c = check();
    const forgedCopy = { ...real, body: { credential: "99", step: 7 } };
    expect(verifyMessage(TOPIC, JSON.stringify(forgedCopy), c)).toMatchObject({
      ok: false,
      reason: "bad_signature",
    });
    expect(verifyMessage(TOPIC, JSON.stringify(real), c).ok).toBe(true);
  });

  it("refuses new messages rather than forget live nonces when the window is full", () => {
    const c = check({ nonces: new NonceWindow(60_000, 2) });
    expect(verifyMessage(TOPIC, JSON.stringify(signed()), c).ok).toBe(true);
    expect(verifyMessage(TOPIC, JSON.stringify(signed()), c).ok).toBe(true);
    expect(verifyMessage(TOPIC, JSON.stringify(signed()), c)).toMatchObject({
      ok: false,
      reason: "nonce_window_full",
    });
  });
});

describe("NonceWindow", () => {
  it("remembers a pair while its message could be fresh, then forgets it", () => {
    const w = new NonceWindow(30_000);
    expect(w.admit("m", "n1", 1_000, 1_000)).toBe("fresh");
    expect(w.admit("m", "n1", 1_000, 30_999)).toBe("repeated");
    expect(w.admit("other", "n1", 1_000, 2_000)).toBe("fresh");
    // Past at + bound the message is stale anyway; the pair may go.
    expect(w.admit("m", "n1", 1_000, 31_001)).toBe("fresh");
    w.forget(200_000);
    expect(w.size).toBe(0);
  });
});
