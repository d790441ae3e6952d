import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { VerifiableCredential } from "../allowlist/credential.js";
import { verifiableCredentialSchema } from "../allowlist/credential.js";
import { publicKeyText } from "../trust/key-file.js";
import { decodeBase45, encodeBase45 } from "./base45.js";
import { encodeEd25519Token, encodeTotpToken, totpValue } from "./pg1-encoder.js";
import { MAX_TOKEN_CHARS, parseToken } from "./pg1-token.js";
import { checkToken } from "./token-vectors.js";
import { TokenVerifier } from "./verify-token.js";

const phone = generateKeyPairSync("ed25519");
const publicKey = publicKeyText(phone.publicKey);
const totp = { secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", algorithm: "SHA256" as const, digits: 6 as const };

const credentials: VerifiableCredential[] = [
  verifiableCredentialSchema.parse({ id: "7", scheme: "totp", totp: { ...totp, period: 30 } }),
  verifiableCredentialSchema.parse({
    id: "18446744073709551615",
    scheme: "ed25519",
    ed25519: { publicKey, period: 10 },
  }),
  verifiableCredentialSchema.parse({ id: "9", scheme: "ed25519", ed25519: { publicKey: "A".repeat(43) } }),
  verifiableCredentialSchema.parse({ id: "10", scheme: "totp", totp: { secret: "AAAA" } }),
];
const lookup = (id: string) => credentials.find((c) => c.id === id);
const NOW = 1_764_000_000_000;
const step30 = Math.floor(NOW / 30_000);
const step10 = Math.floor(NOW / 10_000);
const verifier = new TokenVerifier(1);
const check = (text: string, now = NOW) => checkToken(text, lookup, now, verifier);

describe("token verification beyond the shared vectors", () => {
  const goodTotp = encodeTotpToken("7", step30, totpValue(totp, step30));
  const goodEd = encodeEd25519Token("18446744073709551615", step10, phone.privateKey);
  const cases: [string, string, number, string][] = [
    ["a TOTP token with 6 digits and SHA256", goodTotp, NOW, "ok"],
    ["an Ed25519 token for the largest u64 id, period 10", goodEd, NOW, "ok"],
    ["Ed25519 one 10 s step later", goodEd, NOW + 10_000, "ok"],
    ["Ed25519 two steps later", goodEd, NOW + 20_000, "expired"],
    ["Ed25519 two steps earlier", goodEd, NOW - 20_000, "not_yet_valid"],
    [
      "TOTP value ≥ 10^digits",
      encodeTotpToken("7", step30, 1_000_000 + totpValue(totp, step30)),
      NOW,
      "bad_signature",
    ],
    [
      "TOTP of the previous step, presented as this step",
      encodeTotpToken("7", step30, totpValue(totp, step30 - 1)),
      NOW,
      "bad_signature",
    ],
    [
      "a signature by another phone",
      encodeEd25519Token("18446744073709551615", step10, generateKeyPairSync("ed25519").privateKey),
      NOW,
      "bad_signature",
    ],
    [
      "a credential whose public key is not a valid point",
      encodeEd25519Token("9", step30, phone.privateKey),
      NOW,
      "bad_signature",
    ],
    [
      "a credential whose TOTP secret is too short for RFC 4226",
      encodeTotpToken("10", Math.floor(NOW / 30_000), 0),
      NOW,
      "bad_signature",
    ],
    ["a leading space is part of the text, not stripped", ` ${goodTotp}`, NOW, "malformed"],
    ["a trailing CR left by a reader", `${goodTotp}\r`, NOW, "malformed"],
    ["text over 512 characters", `PG1:${"0".repeat(MAX_TOKEN_CHARS)}`, NOW, "malformed"],
    ["1 MB of garbage", "x".repeat(1_000_000), NOW, "malformed"],
    ["non-ASCII text", "PG1:ЙЦУКЕН", NOW, "malformed"],
    ["lone surrogate", "PG1:\ud800AB", NOW, "malformed"],
    ["NUL bytes", "PG1:\u0000\u0000\u0000", NOW, "malformed"],
    ["the prefix alone", "PG1:", NOW, "malformed"],
  ];
  it.each(cases)("%s", (_name, text, now, expected) => {
    expect(check(text, now)).toBe(expected);
  });

  it("re-imports a credential's key when the registry rotates it", () => {
    const rotated = generateKeyPairSync("ed25519");
    const v = new TokenVerifier(1);
    const token = parseToken(encodeEd25519Token("5", step30, rotated.privateKey))!;
    const before = verifiableCredentialSchema.parse({ id: "5", scheme: "ed25519", ed25519: { publicKey } });
    const after = verifiableCredentialSchema.parse({
      id: "5",
      scheme: "ed25519",
      ed25519: { publicKey: publicKeyText(rotated.publicKey) },
    });
    expect(v.verify(token, before, NOW)).toEqual({ ok: false, reason: "bad_signature" });
    expect(v.verify(token, after, NOW)).toMatchObject({ ok: true, step: step30 });
    expect(v.verify(token, before, NOW)).toEqual({ ok: false, reason: "bad_signature" });
  });
});

describe("base45", () => {
  it("round-trips every length up to 80 bytes", () => {
    for (let n = 0; n <= 80; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      expect(decodeBase45(encodeBase45(bytes))).toEqual(bytes);
    }
  });
  it.each([
    ["RFC 9285 'AB'", "BB8", [65, 66]],
    ["RFC 9285 'Hello!!'", "%69 VD92EX0", [72, 101, 108, 108, 111, 33, 33]],
    ["RFC 9285 'ietf!'", "QED8WEX0", [105, 101, 116, 102, 33]],
  ])("decodes %s", (_n, text, bytes) => {
    expect(Array.from(decodeBase45(text) ?? [])).toEqual(bytes);
  });
  it.each([["GGW"], ["A"], ["ABCD"], ["abc"], ["::"], ["\u00e9AB"]])("rejects %j", (text) => {
    expect(decodeBase45(text)).toBeNull();
  });
});
