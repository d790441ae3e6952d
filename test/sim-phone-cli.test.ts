import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { verifiableCredentialSchema } from "../daemon/allowlist/credential.js";
import { checkToken } from "../daemon/verify/token-vectors.js";
import { TokenVerifier } from "../daemon/verify/verify-token.js";
import { runCli } from "./run-cli.js";

describe("passgate sim phone", () => {
  it("prints TOTP tokens that the gate's verifier accepts", () => {
    const r = runCli([
      "sim",
      "phone",
      "--credential",
      "42",
      "--totp-secret",
      "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
      "--count",
      "2",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const tokens = r.stdout.trim().split("\n");
    expect(tokens).toHaveLength(2);
    const credential = verifiableCredentialSchema.parse({
      id: "42",
      scheme: "totp",
      totp: { secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" },
    });
    for (const t of tokens)
      expect(checkToken(t, () => credential, Date.now(), new TokenVerifier(1))).toBe("ok");
  });

  it("signs Ed25519 tokens with a PEM key file", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const keyFile = join(mkdtempSync(join(tmpdir(), "passgate-phone-")), "phone.pem");
    writeFileSync(keyFile, privateKey.export({ format: "pem", type: "pkcs8" }));
    const r = runCli(["sim", "phone", "--credential", "1001", "--ed25519-key", keyFile]);
    expect(r.code, r.stderr).toBe(0);
    const credential = verifiableCredentialSchema.parse({
      id: "1001",
      scheme: "ed25519",
      ed25519: { publicKey: publicKey.export({ format: "jwk" }).x },
    });
    expect(checkToken(r.stdout.trim(), () => credential, Date.now(), new TokenVerifier(1))).toBe("ok");
  });

  it("refuses to guess between a key and a secret", () => {
    const r = runCli(["sim", "phone", "--credential", "1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("give exactly one of --ed25519-key");
  });
});
