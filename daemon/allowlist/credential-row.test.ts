import { describe, expect, it } from "vitest";
import { credentialSchema } from "./credential.js";
import { decodeCredential, encodeCredential } from "./credential-row.js";
import { EXAMPLE_TEXT, registryCredential } from "./testing/test-bodies.js";

const examples = EXAMPLE_TEXT.split("\n")
  .filter((line) => line.includes('"type":"put"'))
  .map((line) => credentialSchema.parse(JSON.parse(line).credential));

describe("credential rows", () => {
  it.each([
    ...examples.map((c) => [c.id, c] as const),
    [
      "every optional field",
      credentialSchema.parse(
        registryCredential("18446744073709551615", {
          displayName: "",
          assurance: "simplified",
          validFrom: "2026-01-01T00:00:00+03:00",
          validUntil: "2026-12-31T23:59:59.999Z",
          zones: ["library", "gym"],
          guardians: ["p-1", "p-2"],
          notifyGuardians: true,
        }),
      ),
    ] as const,
    [
      "a SHA512 6-digit TOTP",
      credentialSchema.parse({
        id: "0",
        person: "p",
        roles: [],
        status: "revoked",
        scheme: "totp",
        totp: { secret: "JBSWY3DPEHPK3PXP", algorithm: "SHA512", digits: 6, period: 60 },
      }),
    ] as const,
  ])("decode(encode(c)) is c: %s", (_name, credential) => {
    expect(decodeCredential(credential.id, encodeCredential(credential))).toStrictEqual(credential);
  });

  it("is compact: no field names in the row", () => {
    const row = encodeCredential(examples[1]!);
    expect(row).not.toContain("person");
    expect(row.length).toBeLessThan(JSON.stringify(examples[1]).length * 0.7);
  });
});
