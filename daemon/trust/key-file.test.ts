import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { KeyFileError, publicKeyText } from "./key-file.js";

describe("publicKeyText", () => {
  it("is the JWK's x of the same key, from the private or the public half", () => {
    const pem = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" });
    // Read back from PEM: a key no generation job owns, which JWK export handles safely.
    const privateKey = createPrivateKey(pem);
    const x = createPublicKey(privateKey).export({ format: "jwk" }).x;
    expect(x).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(publicKeyText(privateKey)).toBe(x);
    expect(publicKeyText(createPublicKey(privateKey))).toBe(x);
  });

  it("refuses a key that is not Ed25519", () => {
    const { publicKey } = generateKeyPairSync("x25519");
    expect(() => publicKeyText(publicKey)).toThrow(KeyFileError);
  });
});
