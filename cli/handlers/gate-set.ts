import { setConfigValue } from "../../config/edit-config.js";
import { GATE_SETTINGS, type GateSetting } from "../setup/gate-settings.js";

/**
 * `passgate gate set`: changes the site, gate id, time zone or zone in the config `file`,
 * keeping its comments; a value that makes the config invalid is refused with a
 * ConfigError and the file is left unchanged.
 */
export function gateSet(file: string, what: GateSetting, value: string): void {
  // Quoted, so a value such as 2026 or "on" stays the text it was typed as.
  setConfigValue(file, GATE_SETTINGS[what], JSON.stringify(value));
  process.stdout.write(`set ${what} to ${value} in ${file}\n`);
}
