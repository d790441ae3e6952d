import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { verifiableCredentialSchema } from "../daemon/allowlist/credential.js";
import { publicKeyText } from "../daemon/trust/key-file.js";
import { checkToken } from "../daemon/verify/token-vectors.js";
import { TokenVerifier } from "../daemon/verify/verify-token.js";
import { runCliInProcess } from "./cli-harness.js";

describe("passgate sim phone", () => {
  it("prints TOTP tokens that the gate's verifier accepts", async () => {
    const r = await runCliInProcess([
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

  it("signs Ed25519 tokens with a PEM key file", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const keyFile = join(mkdtempSync(join(tmpdir(), "passgate-phone-")), "phone.pem");
    writeFileSync(keyFile, privateKey.export({ format: "pem", type: "pkcs8" }));
    const r = await runCliInProcess(["sim", "phone", "--credential", "1001", "--ed25519-key", keyFile]);
    expect(r.code, r.stderr).toBe(0);
    const credential = verifiableCredentialSchema.parse({
      id: "1001",
      scheme: "ed25519",
      ed25519: { publicKey: publicKeyText(publicKey) },
    });
    expect(checkToken(r.stdout.trim(), () => credential, Date.now(), new TokenVerifier(1))).toBe("ok");
  });

  it("refuses to guess between a key and a secret", async () => {
    const r = await runCliInProcess(["sim", "phone", "--credential", "1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("give exactly one of --ed25519-key");
  });

  const TOTP = ["sim", "phone", "--credential", "42", "--totp-secret", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"];

  it("draws a QR in block characters with --qr, never the token text", async () => {
    const r = await runCliInProcess([...TOTP, "--qr"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/[█▀▄]{3}/);
    // Not a TTY: no escape codes, and nothing but blocks and spaces, so no token text.
    expect(r.stdout.replace(/[█▀▄ \n]/g, "")).toBe("");
    expect(r.stderr).toBe("");
  });

  it("redraws the QR at each time step with --watch", async () => {
    const r = await runCliInProcess([...TOTP, "--period", "1", "--qr", "--watch", "--count", "2"]);
    expect(r.code, r.stderr).toBe(0);
    const steps = [...r.stdout.matchAll(/time step (\d+), next code in \d+ s/g)].map((m) => Number(m[1]));
    expect(steps).toHaveLength(2);
    expect(steps[1]).toBe(steps[0]! + 1);
  });

  it("writes numbered PNGs for consecutive steps with --png and --count", async () => {
    const dir = mkdtempSync(join(tmpdir(), "passgate-phone-png-"));
    const r = await runCliInProcess([...TOTP, "--png", join(dir, "code.png"), "--count", "2"]);
    expect(r.code, r.stderr).toBe(0);
    const files = [join(dir, "code-1.png"), join(dir, "code-2.png")];
    expect(r.stdout.trim().split("\n")).toEqual(files);
    const [one, two] = files.map((f) => readFileSync(f));
    expect(one!.subarray(1, 4).toString("ascii")).toBe("PNG");
    expect(one!.equals(two!)).toBe(false);
  });

  it("refuses --watch without --qr as a usage error", async () => {
    const r = await runCliInProcess([...TOTP, "--watch"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("passgate: --watch needs --qr");
  });
});
