import type { Credential } from "../../daemon/allowlist/credential.js";

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

/** The fields a guard or facilities person needs; key material is reduced to the scheme and period. */
export function formatCredential(c: Credential, now: number): string {
  const period = c.scheme === "totp" ? c.totp.period : c.ed25519.period;
  const guardians =
    c.guardians.length === 0
      ? "—"
      : `${c.guardians.join(", ")}${c.notifyGuardians ? " (notified of passages)" : " (not notified)"}`;
  const rows: [string, string][] = [
    ["person", c.person],
    ["name", c.displayName ?? "—"],
    ["roles", c.roles.join(", ") || "—"],
    ["status", c.status],
    ["assurance", c.assurance ?? "—"],
    ["valid", validity(c, now)],
    ["zones", c.zones.join(", ") || "—"],
    ["scheme", `${c.scheme}, ${period} s period`],
    ["guardians", guardians],
  ];
  return [`credential ${c.id}`, ...rows.map(([k, v]) => `  ${k.padEnd(10)} ${v}`)].join("\n");
}

function validity(c: Credential, now: number): string {
  const from = c.validFrom === undefined ? "" : `from ${new Date(c.validFrom).toISOString()}`;
  const until = c.validUntil === undefined ? "" : `until ${new Date(c.validUntil).toISOString()}`;
  const range = [from, until].filter((s) => s !== "").join(" ") || "no dates";
  const state =
    c.validFrom !== undefined && now < c.validFrom
      ? "not yet valid"
      : c.validUntil !== undefined && now >= c.validUntil
        ? "expired"
        : "in its validity now";
  return `${range} (${state})`;
}
