/** What `passgate gate set` may change, and the config key each one is. */
export const GATE_SETTINGS = {
  site: "site",
  gate: "gate",
  timezone: "timezone",
  zone: "policy.zone",
} as const;

export type GateSetting = keyof typeof GATE_SETTINGS;

export function isGateSetting(text: string): text is GateSetting {
  return Object.hasOwn(GATE_SETTINGS, text);
}
