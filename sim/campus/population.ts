import { generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { ScureBase32Plugin } from "@otplib/plugin-base32-scure";
import { publicKeyText } from "../../daemon/trust/key-file.js";
import { encodeEd25519Token, encodeTotpToken, totpValue } from "../../daemon/verify/pg1-encoder.js";
import type { SeededRandom } from "./rng.js";

/** The kinds of people the policy treats differently; the crowd picks scenarios by kind. */
export type PersonKind =
  | "student"
  | "staff"
  | "student_staff"
  | "minor"
  | "visitor"
  | "visitor_expired"
  | "suspended"
  | "revoked"
  | "contractor"
  | "night_cleaner";

/** A credential record as the registry publishes it (registry-sync.md). */
export type CredentialRecord = Record<string, unknown> & { readonly id: string; readonly person: string };

export type PhoneSecret =
  | { readonly scheme: "ed25519"; readonly privateKey: KeyObject }
  | {
      readonly scheme: "totp";
      readonly totp: { secret: string; algorithm: "SHA1"; digits: 8 };
    };

/** A person of the campus with the phone that holds their credential. */
export interface CampusPerson {
  readonly kind: PersonKind;
  readonly credential: CredentialRecord;
  readonly phone: PhoneSecret;
}

/** How many people of each kind; the defaults make a campus big enough for a 60 s rush on 2 gates. */
export const DEFAULT_HEADCOUNT: Readonly<Record<PersonKind, number>> = {
  student: 220,
  staff: 40,
  student_staff: 20,
  minor: 20,
  visitor: 20,
  visitor_expired: 6,
  suspended: 6,
  revoked: 6,
  contractor: 8,
  night_cleaner: 6,
};

/** Phone periods: the spec's default 30 s for both schemes. */
export const PERIOD_S = 30;

const base32 = new ScureBase32Plugin();
const DAY_MS = 86_400_000;

/**
 * Generates the campus population: ids and the choice of phone scheme follow the seed;
 * keys and TOTP secrets are fresh from node:crypto on every call (nothing here is a real
 * credential). `gates` lists the gate ids: each contractor holds a zone grant for one of
 * them only (wrong gate at the others).
 */
export function generatePopulation(
  rng: SeededRandom,
  now: number,
  gates: readonly string[],
  headcount: Readonly<Record<PersonKind, number>> = DEFAULT_HEADCOUNT,
): CampusPerson[] {
  const people: CampusPerson[] = [];
  let serial = 10_000;
  for (const kind of Object.keys(headcount) as PersonKind[]) {
    for (let i = 0; i < headcount[kind]; i++) {
      serial++;
      const scheme = rng.next() < 0.3 ? "totp" : "ed25519";
      people.push(
        makePerson(kind, String(serial), scheme, now, gates[i % Math.max(1, gates.length)] ?? "gate-1"),
      );
    }
  }
  return people;
}

/** One person of `kind` with credential `id`; `zoneGate` is a contractor's one gate. */
export function makePerson(
  kind: PersonKind,
  id: string,
  scheme: "ed25519" | "totp",
  now: number,
  zoneGate = "gate-1",
): CampusPerson {
  const fields = kindFields(kind, id, now, zoneGate);
  if (scheme === "totp") {
    const totp = { secret: base32.encode(randomBytes(20)), algorithm: "SHA1" as const, digits: 8 as const };
    return {
      kind,
      credential: { status: "active", ...fields, scheme: "totp", totp: { ...totp, period: PERIOD_S } },
      phone: { scheme: "totp", totp },
    };
  }
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const x = publicKeyText(publicKey);
  return {
    kind,
    credential: {
      status: "active",
      ...fields,
      scheme: "ed25519",
      ed25519: { publicKey: x, period: PERIOD_S },
    },
    phone: { scheme: "ed25519", privateKey },
  };
}

function kindFields(kind: PersonKind, id: string, now: number, zoneGate: string): CredentialRecord {
  const today = now - (now % DAY_MS);
  const iso = (ms: number) => new Date(ms).toISOString();
  const person = `${kind === "visitor" || kind === "visitor_expired" ? "v" : "p"}-${id}`;
  const base = { id, person };
  switch (kind) {
    case "student":
      return { ...base, roles: ["student"], assurance: "standard" };
    case "staff":
      return { ...base, roles: ["staff"], assurance: "confirmed" };
    case "student_staff":
      return { ...base, roles: ["student", "staff"], assurance: "confirmed" };
    case "minor":
      return { ...base, roles: ["student"], guardians: [`p-g${id}`], notifyGuardians: true };
    case "visitor":
      return {
        ...base,
        roles: ["visitor"],
        assurance: "standard",
        validFrom: iso(today),
        validUntil: iso(today + DAY_MS),
      };
    case "visitor_expired":
      return {
        ...base,
        roles: ["visitor"],
        assurance: "standard",
        validFrom: iso(today - DAY_MS),
        validUntil: iso(today),
      };
    case "suspended":
      return { ...base, roles: ["student"], status: "suspended" };
    case "revoked":
      return { ...base, roles: ["student"], status: "revoked" };
    case "contractor":
      return { ...base, roles: ["contractor"], zones: [zoneGate] };
    case "night_cleaner":
      return { ...base, roles: ["cleaner"] };
  }
}

/** The code a person's phone shows at time step `step`. A live token: never log it. */
export function phoneCode(person: CampusPerson, step: number): string {
  const { credential, phone } = person;
  return phone.scheme === "ed25519"
    ? encodeEd25519Token(credential.id, step, phone.privateKey)
    : encodeTotpToken(credential.id, step, totpValue(phone.totp, step));
}
