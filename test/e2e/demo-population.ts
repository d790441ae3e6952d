import { generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { ScureBase32Plugin } from "@otplib/plugin-base32-scure";
import { publicKeyText } from "../../daemon/trust/key-file.js";

/** A person of the demo campus with the phone that holds their credential. */
export interface DemoPerson {
  readonly label: string;
  readonly credential: Record<string, unknown> & { id: string; person: string };
  /** The phone's secret: an Ed25519 private key or the TOTP parameters. */
  readonly phone:
    | { readonly scheme: "ed25519"; readonly privateKey: KeyObject }
    | {
        readonly scheme: "totp";
        readonly totp: { secret: string; algorithm: "SHA1" | "SHA256" | "SHA512"; digits: 6 | 8 };
      };
}

const base32 = new ScureBase32Plugin();

function ed25519Person(
  label: string,
  fields: Record<string, unknown> & { id: string; person: string },
): DemoPerson {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const x = publicKeyText(publicKey);
  return {
    label,
    credential: { status: "active", ...fields, scheme: "ed25519", ed25519: { publicKey: x, period: 30 } },
    phone: { scheme: "ed25519", privateKey },
  };
}

function totpPerson(
  label: string,
  fields: Record<string, unknown> & { id: string; person: string },
): DemoPerson {
  const totp = { secret: base32.encode(randomBytes(20)), algorithm: "SHA1" as const, digits: 8 as const };
  return {
    label,
    credential: { status: "active", ...fields, scheme: "totp", totp: { ...totp, period: 30 } },
    phone: { scheme: "totp", totp },
  };
}

/**
 * A small campus with one of each kind of person the policy treats differently. Keys and
 * secrets are made fresh on every call; nothing here is a real credential.
 */
export function demoPopulation(now: number): DemoPerson[] {
  const day = 86_400_000;
  const today = new Date(now - (now % day)).toISOString();
  const tomorrow = new Date(now - (now % day) + day).toISOString();
  return [
    ed25519Person("student and staff", {
      id: "1001",
      person: "p-1001",
      displayName: "Иванова А. С.",
      roles: ["student", "staff"],
      assurance: "confirmed",
    }),
    totpPerson("staff (TOTP phone)", {
      id: "42",
      person: "p-0042",
      displayName: "Петров П. П.",
      roles: ["staff"],
      assurance: "confirmed",
    }),
    ed25519Person("school pupil with guardian notices", {
      id: "2001",
      person: "p-2001",
      roles: ["student"],
      guardians: ["p-0077"],
      notifyGuardians: true,
    }),
    ed25519Person("visitor for today", {
      id: "3001",
      person: "v-3001",
      displayName: "Guest of the dean",
      roles: ["visitor"],
      assurance: "standard",
      validFrom: today,
      validUntil: tomorrow,
    }),
    ed25519Person("visitor from yesterday", {
      id: "3002",
      person: "v-3002",
      roles: ["visitor"],
      assurance: "standard",
      validFrom: new Date(now - (now % day) - day).toISOString(),
      validUntil: today,
    }),
    ed25519Person("suspended student", {
      id: "1002",
      person: "p-1002",
      roles: ["student"],
      status: "suspended",
    }),
    ed25519Person("revoked student", { id: "1003", person: "p-1003", roles: ["student"], status: "revoked" }),
    ed25519Person("contractor", { id: "4001", person: "c-4001", roles: ["contractor"] }),
  ];
}
