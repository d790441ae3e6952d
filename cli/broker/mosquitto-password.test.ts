import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hashPassword, newPassword, passwordFileLine } from "./mosquitto-password.js";

describe("mosquitto password hashes", () => {
  it("computes the same hash as mosquitto_passwd for its salt and iterations", () => {
    const dir = mkdtempSync(join(tmpdir(), "passgate-passwd-"));
    try {
      const file = join(dir, "passwd");
      execFileSync("mosquitto_passwd", ["-b", "-c", file, "alice", "s3cret-pässword"]);
      const line = readFileSync(file, "utf8").trim();
      const match = /^alice:\$7\$(\d+)\$([^$]+)\$([^$]+)$/.exec(line);
      expect(match, line).not.toBeNull();
      const [, iterations, salt, hash] = match ?? [];
      const ours = hashPassword("s3cret-pässword", Number(iterations), Buffer.from(salt ?? "", "base64"));
      expect(passwordFileLine("alice", ours)).toBe(line);
      expect(ours.hash).toBe(hash);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes $7$<iterations>$<12-byte salt>$<64-byte hash> with a fresh salt each time", () => {
    const a = hashPassword("pw");
    const b = hashPassword("pw");
    expect(a.salt).not.toBe(b.salt);
    expect(Buffer.from(a.salt, "base64")).toHaveLength(12);
    expect(Buffer.from(a.hash, "base64")).toHaveLength(64);
    expect(passwordFileLine("u", a)).toMatch(/^u:\$7\$1000\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    expect(newPassword()).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });
});
