import { readFileSync } from "node:fs";

/**
 * This boot of the machine, as Linux names it (a new random id at every boot), or null
 * where it cannot be read. Two runs with the same id shared the OS's page cache, so
 * whatever the first wrote survived its crash; a different id means a reboot in between.
 */
export function currentBootId(path = "/proc/sys/kernel/random/boot_id"): string | null {
  try {
    const id = readFileSync(path, "utf8").trim();
    return id === "" ? null : id;
  } catch {
    // Not Linux, or /proc not mounted: unknown, which callers treat as "maybe rebooted".
    return null;
  }
}
