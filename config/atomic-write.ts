import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  closeSync,
  fsyncSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { ConfigError } from "./load-config.js";

export function writeFileAtomically(file: string, text: string): void {
  let target: string;
  try {
    target = realpathSync(file);
  } catch (err) {
    throw writeFailed(file, err);
  }
  const { mode, uid, gid } = statSync(target);
  const temp = join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
  );
  let fd: number | undefined;
  try {
    fd = openSync(temp, "wx", mode & 0o7777);
    writeFileSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    chmodSync(temp, mode & 0o7777); // the umask may have narrowed the mode given to open
    if (process.getuid?.() === 0) chownSync(temp, uid, gid);
    renameSync(temp, target);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw writeFailed(file, err);
  }
  syncDirectory(dirname(target));
}

/** Makes the rename itself durable; directories cannot be opened for this on Windows. */
function syncDirectory(dir: string): void {
  if (process.platform === "win32") return;
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function writeFailed(file: string, err: unknown): ConfigError {
  const message = `cannot write: ${err instanceof Error ? err.message : String(err)}`;
  return new ConfigError("CONFIG_WRITE_FAILED", file, [{ path: "", message }], "not written");
}
