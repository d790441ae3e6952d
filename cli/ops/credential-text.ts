import type { Credential } from "../../daemon/allowlist/credential.js";
import { escapeLine } from "./escape-control.js";
import { type FormatTime, utcTime } from "./gate-time.js";

/**
 * What `allowlist show --json` and `identity lookup --json` print of a credential: the
 * fields `formatCredential` shows, times in ISO 8601, key material reduced to the scheme
 * and its period in seconds.
 */
export function credentialJson(c: Credential, now: number): object {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  const validNow =
    (c.validFrom === undefined || now >= c.validFrom) && (c.validUntil === undefined || now < c.validUntil);
  return {
    id: c.id,
    person: c.person,
    displayName: c.displayName ?? null,
    roles: c.roles,
    status: c.status,
    assurance: c.assurance ?? null,
    validFrom: iso(c.validFrom),
    validUntil: iso(c.validUntil),
    validNow,
    zones: c.zones,
    scheme: c.scheme,
    periodSeconds: c.scheme === "totp" ? c.totp.period : c.ed25519.period,
    guardians: c.guardians,
    notifyGuardians: c.notifyGuardians,
  };
}

/**
 * The fields a guard or facilities person needs; key material is reduced to the scheme and
 * period. Everything but the scheme comes from the registry, so each value is printed
 * through `escapeLine`: a person id holding an escape sequence cannot repaint the screen.
 * Times in `formatTime` (default ISO 8601 UTC).
 */
export function formatCredential(c: Credential, now: number, formatTime: FormatTime = utcTime): string {
  const period = c.scheme === "totp" ? c.totp.period : c.ed25519.period;
  const guardians =
    c.guardians.length === 0
      ? "—"
      : `${c.guardians.map(escapeLine).join(", ")}${c.notifyGuardians ? " (notified of passages)" : " (not notified)"}`;
  const rows: [string, string][] = [
    ["person", escapeLine(c.person)],
    ["name", c.displayName === undefined ? "—" : escapeLine(c.displayName)],
    ["roles", c.roles.map(escapeLine).join(", ") || "—"],
    ["status", c.status],
    ["assurance", c.assurance ?? "—"],
    ["valid", validity(c, now, formatTime)],
    ["zones", c.zones.map(escapeLine).join(", ") || "—"],
    ["scheme", `${c.scheme}, ${period} s period`],
    ["guardians", guardians],
  ];
  return [`credential ${escapeLine(c.id)}`, ...rows.map(([k, v]) => `  ${k.padEnd(10)} ${v}`)].join("\n");
}

function validity(c: Credential, now: number, formatTime: FormatTime): string {
  const from = c.validFrom === undefined ? "" : `from ${formatTime(c.validFrom)}`;
  const until = c.validUntil === undefined ? "" : `until ${formatTime(c.validUntil)}`;
  const range = [from, until].filter((s) => s !== "").join(" ") || "no dates";
  const state =
    c.validFrom !== undefined && now < c.validFrom
      ? "not yet valid"
      : c.validUntil !== undefined && now >= c.validUntil
        ? "expired"
        : "in its validity now";
  return `${range} (${state})`;
}
