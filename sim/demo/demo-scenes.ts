import { generateKeyPairSync } from "node:crypto";
import { encodeEd25519Token, encodeTotpToken, totpValue } from "../phone/pg1-encoder.js";
import type { DemoPerson } from "./demo-population.js";

/** One moment at the gate: what is shown to the reader, and optionally what the registry does first. */
export interface DemoScene {
  readonly scene: string;
  /** A registry change published (and pushed to the gate) before the scan. */
  readonly registryChange?: { readonly credential: Record<string, unknown> };
  readonly text: () => string;
}

/** The phone's code for a person at a time step. */
export function phoneToken(person: DemoPerson, step: number): string {
  const { credential, phone } = person;
  return phone.scheme === "ed25519"
    ? encodeEd25519Token(credential.id, step, phone.privateKey)
    : encodeTotpToken(credential.id, step, totpValue(phone.totp, step));
}

/**
 * The demo's story: valid codes from both kinds of phone, a replayed screenshot, people
 * the policy treats differently, an old code, a forgery, garbage, soft anti-passback,
 * and a revocation by the registry while the gate runs.
 */
export function demoScenes(people: readonly DemoPerson[], step: () => number): DemoScene[] {
  const byId = new Map(people.map((p) => [p.credential.id, p]));
  const person = (id: string) => byId.get(id) as DemoPerson;
  const ivanova = phoneToken(person("1001"), step());
  const forger = generateKeyPairSync("ed25519").privateKey;
  const petrov = person("42");
  return [
    { scene: "Иванова (student and staff) shows her phone", text: () => ivanova },
    { scene: "Петров (staff, TOTP app) shows his phone", text: () => phoneToken(petrov, step()) },
    { scene: "someone shows a screenshot of Иванова's code", text: () => ivanova },
    { scene: "a pupil whose guardian gets passage notices", text: () => phoneToken(person("2001"), step()) },
    { scene: "a visitor registered for today", text: () => phoneToken(person("3001"), step()) },
    { scene: "yesterday's visitor comes back", text: () => phoneToken(person("3002"), step()) },
    { scene: "a suspended student", text: () => phoneToken(person("1002"), step()) },
    { scene: "a revoked student", text: () => phoneToken(person("1003"), step()) },
    {
      scene: "a contractor: no rule admits contractors here",
      text: () => phoneToken(person("4001"), step()),
    },
    { scene: "Петров shows a code from 2 minutes ago", text: () => phoneToken(petrov, step() - 4) },
    {
      scene: "a code for Иванова forged with another key",
      text: () => encodeEd25519Token("1001", step(), forger),
    },
    {
      scene: "a code for a credential the registry never issued",
      text: () => encodeEd25519Token("999999", step(), forger),
    },
    { scene: "a leaflet's QR code", text: () => "https://example.edu/open-day" },
    {
      scene: "Иванова again, next code, without having left",
      text: () => phoneToken(person("1001"), step() + 1),
    },
    {
      scene: "the registry revokes Петров; the gate pulls at once",
      registryChange: { credential: { ...petrov.credential, status: "revoked" } },
      text: () => phoneToken(petrov, step() + 1),
    },
  ];
}
