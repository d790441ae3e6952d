import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeNewFile } from "./write-new-file.js";

let dir: string;
let umask: number;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "passgate-write-"));
  umask = process.umask();
});
afterEach(() => {
  process.umask(umask);
  rmSync(dir, { recursive: true, force: true });
});

describe("writeNewFile", () => {
  it("gives exactly the mode asked for whatever the umask: a config 0640, a key 0600", () => {
    for (const mask of [0o000, 0o022, 0o077]) {
      process.umask(mask);
      const config = join(dir, `config-${mask}.yaml`);
      const key = join(dir, `key-${mask}.pem`);
      writeNewFile(config, "site: s\n", false);
      writeNewFile(key, "KEY\n", false, 0o600);
      expect(statSync(config).mode & 0o777, `umask ${mask.toString(8)}`).toBe(0o640);
      expect(statSync(key).mode & 0o777, `umask ${mask.toString(8)}`).toBe(0o600);
      expect(readFileSync(key, "utf8")).toBe("KEY\n");
    }
  });

  it("written by root into another owner's folder, the file takes the folder's owner; otherwise the writer's", () => {
    const folder = join(dir, "state");
    mkdirSync(folder);
    const root = process.getuid?.() === 0;
    // As root: a folder like /var/lib/passgate, owned by the service user (here uid 65534).
    if (root) chownSync(folder, 65534, 65534);
    writeNewFile(join(folder, "gate.key"), "KEY\n", false, 0o600);
    const { uid, gid } = statSync(join(folder, "gate.key"));
    if (root) expect([uid, gid]).toEqual([65534, 65534]);
    else expect(uid).toBe(process.getuid?.());
  });
});
