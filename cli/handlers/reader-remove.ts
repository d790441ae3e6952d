import { loadConfig } from "../../config/load-config.js";
import { removeConfigListItem } from "../../config/remove-config-item.js";

/**
 * `passgate reader remove`: takes the reader out of `readers:` of the config `file`,
 * keeping its comments; refused (an Error) while a relay follows it.
 */
export function readerRemove(file: string, id: string): void {
  const config = loadConfig(file);
  if (!config.readers.some((r) => r.id === id)) {
    const known = config.readers.map((r) => r.id).join(", ") || "none";
    throw new Error(`no reader "${id}" in the config (readers: ${known})`);
  }
  const relays = config.relays.filter((r) => r.reader === id).map((r) => r.id);
  if (relays.length > 0) {
    throw new Error(
      `reader ${id} is used by relay ${relays.join(", ")}: remove the relay first (passgate relay remove ${relays[0]}) or point it at another reader`,
    );
  }
  removeConfigListItem(file, "readers", id);
  process.stdout.write(`removed reader ${id} from ${file}\n`);
}
