import type { AssuranceLevel, Credential, CredentialStatus } from "./credential.js";

/**
 * How a credential is kept in a row of the allowlist table: a JSON array with the fields in
 * a fixed order, without the id (that is the key column). Positional rather than an object
 * so 10⁶ rows take about half the disk and pages, which is what a lookup's time goes on.
 *
 * Only `encodeCredential` writes rows, after `credentialSchema` validated the credential,
 * so decoding trusts the row. A change to `Credential` needs a new codec shape and a
 * migration that empties the allowlist (the next sync then fetches a snapshot).
 */
type IdentityColumns = [
  person: string,
  displayName: string | null,
  roles: string[],
  status: CredentialStatus,
  assurance: AssuranceLevel | null,
  validFrom: number | null,
  validUntil: number | null,
  zones: string[],
  guardians: string[],
  notifyGuardians: 0 | 1,
];
type EncodedCredential =
  | [
      ...IdentityColumns,
      scheme: "totp",
      secret: string,
      algorithm: "SHA1" | "SHA256" | "SHA512",
      digits: 6 | 8,
      period: number,
    ]
  | [...IdentityColumns, scheme: "ed25519", publicKey: string, period: number];

export function encodeCredential(c: Credential): string {
  const identity: IdentityColumns = [
    c.person,
    c.displayName ?? null,
    c.roles,
    c.status,
    c.assurance ?? null,
    c.validFrom ?? null,
    c.validUntil ?? null,
    c.zones,
    c.guardians,
    c.notifyGuardians ? 1 : 0,
  ];
  const row: EncodedCredential =
    c.scheme === "totp"
      ? [...identity, "totp", c.totp.secret, c.totp.algorithm, c.totp.digits, c.totp.period]
      : [...identity, "ed25519", c.ed25519.publicKey, c.ed25519.period];
  return JSON.stringify(row);
}

/** The credential `id` whose row is `body`; the same value `credentialSchema.parse` gave. */
export function decodeCredential(id: string, body: string): Credential {
  const row = JSON.parse(body) as EncodedCredential;
  const credential: Credential =
    row[10] === "totp"
      ? {
          id,
          person: row[0],
          roles: row[2],
          status: row[3],
          zones: row[7],
          guardians: row[8],
          notifyGuardians: row[9] === 1,
          scheme: "totp",
          totp: { secret: row[11], algorithm: row[12], digits: row[13], period: row[14] },
        }
      : {
          id,
          person: row[0],
          roles: row[2],
          status: row[3],
          zones: row[7],
          guardians: row[8],
          notifyGuardians: row[9] === 1,
          scheme: "ed25519",
          ed25519: { publicKey: row[11], period: row[12] },
        };
  // Absent optional fields stay absent (not undefined), as in the parsed credential.
  if (row[1] !== null) credential.displayName = row[1];
  if (row[4] !== null) credential.assurance = row[4];
  if (row[5] !== null) credential.validFrom = row[5];
  if (row[6] !== null) credential.validUntil = row[6];
  return credential;
}
