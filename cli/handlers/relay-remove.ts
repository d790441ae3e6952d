import { loadConfig } from "../../config/load-config.js";
import { removeConfigListItem } from "../../config/remove-config-item.js";

/** `passgate relay remove`: takes the relay out of `relays:` of the config `file`, keeping its comments. */
export function relayRemove(file: string, id: string): void {
  const config = loadConfig(file);
  if (!config.relays.some((r) => r.id === id)) {
    const known = config.relays.map((r) => r.id).join(", ") || "none";
    throw new Error(`no relay "${id}" in the config (relays: ${known})`);
  }
  removeConfigListItem(file, "relays", id);
  process.stdout.write(`removed relay ${id} from ${file}\n`);
}
