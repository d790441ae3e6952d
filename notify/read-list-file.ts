import { readFileSync } from "node:fs";
import { ConfigError } from "../config/config-error.js";

/** Largest list file read (guardians, roster): 50,000 guardians fit in well under this. */
export const MAX_LIST_FILE_BYTES = 16 * 1024 * 1024;

/**
 * The text of a file the config names (the guardians, the gates' roster), with what it is
 * in the message when it cannot be read; throws `ConfigError` like a config would.
 */
export function readListFile(path: string, what: string): string {
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ConfigError(
      // Not CONFIG_NOT_FOUND: its message is about the config file itself.
      "CONFIG_UNREADABLE",
      path,
      [{ path: "", message: `${what} cannot be read (${code})` }],
      "cannot be read",
    );
  }
  if (text.length > MAX_LIST_FILE_BYTES)
    throw new ConfigError(
      "CONFIG_INVALID",
      path,
      [{ path: "", message: `${what} is larger than ${MAX_LIST_FILE_BYTES} bytes` }],
      "is too large",
    );
  return text.toString("utf8");
}
