import { randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { writeFailed } from "../../config/atomic-write.js";
import { ConfigError } from "../../config/load-config.js";

/**
 * Writes a new config file whole or not at all: a temp file beside it, fsynced, then
 * linked into place, which fails if the file exists (no window in which a config written
 * meanwhile is lost), or renamed over it when `replace`. `mode` is the file's permission
 * bits (a private key: 0o600; the umask can only narrow them). Throws ConfigError
 * (CONFIG_WRITE_FAILED, also when the file exists).
 */
export function writeNewFile(file: string, text: string, replace: boolean, mode = 0o644): void {
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(temp, "wx", mode);
    try {
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
