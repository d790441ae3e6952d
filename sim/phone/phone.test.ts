import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { verifiableCredentialSchema } from "../../daemon/allowlist/credential.js";
import { publicKeyText } from "../../daemon/trust/key-file.js";
import { checkToken } from "../../daemon/verify/token-vectors.js";
import { TokenVerifier } from "../../daemon/verify/verify-token.js";
import { Phone } from "./phone.js";

const SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const AT = Date.UTC(2026, 10, 24, 9, 0, 10);

describe("Phone", () => {
  it("shows a TOTP code the gate accepts, changing at each step boundary", () => {
    const phone = new Phone({
      id: "42",
      scheme: "totp",
      totp: { secret: SECRET, algorithm: "SHA256", digits: 6 },
      period: 20,
    });
    const credential = verifiableCredentialSchema.parse({
      id: "42",
      scheme: "totp",
      totp: { secret: SECRET, algorithm: "SHA256", digits: 6, period: 20 },
    });
    const code = phone.codeAt(AT);
    expect(code).toMatch(/^PG1:[0-9A-Z $%*+\-./:]{26}$/);
    expect(checkToken(code, () => credential, AT, new TokenVerifier(1))).toBe("ok");
    expect(phone.stepAt(AT)).toBe(Math.floor(AT / 20_000));
    const change = phone.nextChangeAt(AT);
    expect(phone.codeAt(change - 1)).toBe(code);
    expect(phone.codeAt(change)).not.toBe(code);
    // Two steps later the shown code of now is outside the gate's window of one step.
    expect(checkToken(code, () => credential, change + 40_000, new TokenVerifier(1))).toBe("expired");
  });

  it("signs an Ed25519 code the gate accepts with the registered public key", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const phone = new Phone({ id: "18446744073709551615", scheme: "ed25519", privateKey });
    const credential = verifiableCredentialSchema.parse({
      id: "18446744073709551615",
      scheme: "ed25519",
      ed25519: { publicKey: publicKeyText(publicKey) },
    });
    const code = phone.codeAt(AT);
    expect(code).toHaveLength(4 + 116);
    expect(phone.period).toBe(30);
    expect(checkToken(code, () => credential, AT, new TokenVerifier(1))).toBe("ok");
    expect(phone.codeForStep(phone.stepAt(AT))).toBe(code);
  });
});
