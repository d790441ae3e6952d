import { randomBytes } from "node:crypto";
import {
  closeSync,
  fchmodSync,
  fchownSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { writeFailed } from "../../config/atomic-write.js";
import { ConfigError } from "../../config/load-config.js";

/**
 * Writes a new config file whole or not at all: a temp file beside it, fsynced, then
 * linked into place, which fails if the file exists (no window in which a config written
 * meanwhile is lost), or renamed over it when `replace`. Throws ConfigError
 * (CONFIG_WRITE_FAILED, also when the file exists).
 *
 * `mode` is exactly the file's permission bits, whatever the umask: 0640 by default (a
 * config: its owner and the service's group read it, nobody else does), 0600 for a key or
 * a password. Written by root into a folder of another owner, the file takes the folder's
 * owner and group: a config in /etc/passgate (root:passgate) stays root's and the service
 * can read it; a key in /var/lib/passgate (passgate:passgate) belongs to the service that
 * signs with it.
 */
export function writeNewFile(file: string, text: string, replace: boolean, mode = 0o640): void {
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(temp, "wx", mode & 0o600);
    try {
      fchmodSync(fd, mode);
      if (process.getuid?.() === 0) {
        const folder = statSync(dir);
        fchownSync(fd, folder.uid, folder.gid);
      }
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (replace) renameSync(temp, file);
    else linkSync(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") {
      throw new ConfigError(
        "CONFIG_WRITE_FAILED",
        file,
        [{ path: "", message: "already exists: give --force to replace it, or --output another file" }],
        "not written",
      );
    }
    throw writeFailed(file, err);
  } finally {
    rmSync(temp, { force: true });
  }
}
