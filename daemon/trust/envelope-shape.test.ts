import canonicalize from "canonicalize";
import { describe, expect, it } from "vitest";
import { canonicalEnvelope, readEnvelope } from "./envelope-shape.js";
import { NonceWindow } from "./nonce-window.js";
import { Roster } from "./roster.js";
import { signedMessageSchema, signMessage, verifyMessage } from "./signed-message.js";
import { testGateMember } from "./testing/test-members.js";

const valid = {
  v: 1,
  signer: "bridge:north-1",
  at: 1_796_000_000_000,
  nonce: "AAECAwQFBgcICQoLDA0ODw",
  body: { reader: "in", text: "PG1.x", scannedAt: 1_796_000_000_000, seq: 7 },
  sig: "A".repeat(86),
};

/** Each field of `valid` replaced by values of the wrong type or just past a bound, and the bounds themselves. */
const replacements: Record<string, unknown[]> = {
  v: [0, 2, "1", true, null, 1.0, [1]],
  signer: ["", "a", "x".repeat(64), "x".repeat(65), "has space", "tab\t", "ключ", 7, null, "~!"],
  at: [0, -1, 1.5, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 1e21, "5", null, [], -0],
  nonce: [
    "A".repeat(15),
    "A".repeat(16),
    "A".repeat(32),
    "A".repeat(33),
    "AAECAwQFBgcICQoL", // 12 bytes
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYX", // 24 bytes
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGA", // 25 bytes
    "AAECAwQFBgcICQoLDA0ODx", // 16 bytes, but not the canonical spelling (trailing bits)
    "AAECAwQFBgcICQoLDA0OD+", // not base64url
    "AAECAwQFBgcICQoLDA0ODw==",
    16,
    null,
  ],
  body: [{}, [], null, "x", 1, { a: [1, { b: null }] }, { __proto__: null }],
  sig: ["A".repeat(85), "A".repeat(87), `${"A".repeat(85)}+`, `${"A".repeat(85)}=`, 86, null, "A".repeat(86)],
};

function variants(): unknown[] {
  const out: unknown[] = [valid, null, [], "x", 1, {}, [valid]];
  for (const [field, values] of Object.entries(replacements))
    for (const value of values) out.push({ ...valid, [field]: value });
  for (const field of Object.keys(valid)) {
    const { [field as keyof typeof valid]: _, ...missing } = valid;
    out.push(missing);
    out.push({ ...missing, extra: 1 });
  }
  out.push({ ...valid, extra: 1 });
  out.push({ ...valid, sig: undefined });
  // As a receiver gets them: through JSON.parse, which makes "__proto__" an own field.
  out.push(JSON.parse(`{"__proto__":{},${JSON.stringify(valid).slice(1)}`));
  out.push(JSON.parse(JSON.stringify({ ...valid, body: { a: 1 } }).replace('"a":1', '"__proto__":{"x":1}')));
  return out;
}

describe("the envelope's shape, checked by hand (envelope-shape.ts)", () => {
  it("accepts and refuses exactly what the envelope's schema does", () => {
    const cases = variants();
    expect(cases.length).toBeGreaterThan(70);
    let accepted = 0;
    for (const value of cases) {
      const bySchema = signedMessageSchema.safeParse(value).success;
      expect({ value, accepted: readEnvelope(value) !== undefined }).toEqual({ value, accepted: bySchema });
      if (bySchema) accepted++;
    }
    // Both answers occur: the corpus tests the bounds from both sides.
    expect(accepted).toBeGreaterThan(10);
    expect(accepted).toBeLessThan(cases.length - 30);
  });

  it("writes the same canonical JSON as RFC 8785's general writer, for any body", () => {
    const bodies: Record<string, unknown>[] = [
      {},
      { z: 1, a: 2, m: [3, { y: null, b: true }] },
      { text: "ключ ✓ 😀", n: 0.1, big: 1e21, small: 1e-7, neg: -0, int: 2 ** 53 },
      { é: 1, e: 2, E: 3, "": 4, "😀": 5, "\u0001": '\u001f"\\/' },
    ];
    const fixed = [
      { v: 1, signer: "gate:a", at: 1_796_000_000_000, nonce: "AAECAwQFBgcICQoL" },
      { v: 1, signer: "op:ключ", at: 5, nonce: "AAECAwQFBgcICQoL" },
      { v: 1, signer: 'q"uote', at: -0, nonce: "a\\b" },
      { v: 2, signer: "gate:a", at: 1.5, nonce: "AAECAwQFBgcICQoL" },
    ];
    for (const body of bodies)
      for (const f of fixed) {
        const fields = { ...f, body };
        expect(canonicalEnvelope(fields)).toBe(canonicalize(fields));
      }
  });

  it("refuses as malformed, without throwing, a body RFC 8785 cannot write (a lone surrogate)", () => {
    const a = testGateMember("a");
    const roster = new Roster([a.member]);
    const topic = "passgate/s/shared/replay";
    const message = signMessage({
      topic,
      signer: a.signer.id,
      privateKey: a.signer.privateKey,
      body: { a: "ok" },
      at: 1_000,
    });
    const payload = JSON.stringify(message).replace('"ok"', '"\\ud800"');
    const verdict = verifyMessage(topic, payload, {
      roster,
      kinds: ["gate"],
      now: 1_000,
      nonces: new NonceWindow(60_000),
    });
    expect(verdict).toEqual({ ok: false, reason: "malformed", signer: "gate:a" });
  });
});
