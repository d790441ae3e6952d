import { mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeNewFile } from "../setup/write-new-file.js";
import { newPassword } from "./mosquitto-password.js";
import { BrokerAclError } from "./topic-text.js";

/** Where each account's password lives under the output directory. */
export const PASSWORDS_DIR = "passwords";

/** An account's password and where it is kept. */
export interface AccountPassword {
  readonly password: string;
  /** Absolute path of its 0600 file. */
  readonly file: string;
  /** Whether the file was there already (kept) or written now. */
  readonly state: "kept" | "new" | "replaced";
}

/**
 * Makes `dir` (and its `passwords/`) mode 0700, or checks that an existing one is private:
 * the files written into it hold secrets and their hashes.
 */
export function prepareOutputDir(dir: string): void {
  for (const d of [dir, join(dir, PASSWORDS_DIR)]) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    const mode = statSync(d).mode & 0o777;
    if ((mode & 0o077) !== 0)
      throw new BrokerAclError(
        `${d} may be read by others (mode ${mode.toString(8)}): give a new --out directory, or chmod 700 it`,
      );
  }
}

/**
 * The password of each account: the one already in its file under `passwords/` (so a
 * rerun keeps every device's password), else a new random one written to a new 0600 file.
 * With `rotate`, every account gets a new password, replacing its file. An existing file
 * that others may read, or that does not hold one password line, is refused.
 */
export function accountPasswords(
  dir: string,
  accounts: readonly string[],
  rotate: boolean,
): Map<string, AccountPassword> {
  const out = new Map<string, AccountPassword>();
  for (const account of accounts) {
    const file = join(dir, PASSWORDS_DIR, `${account}.password`);
    const existing = readExisting(file);
    if (existing !== undefined && !rotate) {
      out.set(account, { password: existing, file, state: "kept" });
      continue;
    }
    const password = newPassword();
    writeNewFile(file, `${password}\n`, existing !== undefined, 0o600);
    out.set(account, { password, file, state: existing === undefined ? "new" : "replaced" });
  }
  return out;
}

function readExisting(file: string): string | undefined {
  let text: string;
  try {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0)
      throw new BrokerAclError(`${file} may be read by others (mode ${mode.toString(8)}): chmod 600 it`);
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const password = text.replace(/\r?\n$/, "");
  if (!/^[\x21-\x7e]{16,256}$/.test(password))
    throw new BrokerAclError(
      `${file} does not hold one password (16 to 256 printable characters on one line): remove it to get a new one`,
    );
  return password;
}
