import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { signedRoster } from "../sim/registry/signed-roster.js";
import { brokerSite, brokerSiteRegistry } from "./broker-site.js";
import { runCliInProcess } from "./cli-harness.js";

const root = mkdtempSync(join(tmpdir(), "passgate-broker-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function site() {
  const dir = join(root, `site-${++n}`);
  mkdirSync(dir);
  const s = brokerSite(dir);
  return { ...s, dir, out: join(dir, "broker"), gateArgs: s.files.flatMap((f) => ["--gate", f]) };
}
const mode = (path: string) => statSync(path).mode & 0o777;
const passwords = (out: string) =>
  Object.fromEntries(
    readdirSync(join(out, "passwords")).map((f) => [f, readFileSync(join(out, "passwords", f), "utf8")]),
  );

describe("passgate broker acl", () => {
  it("writes every file 0600 in a 0700 directory, prints accounts and files, never a password", async () => {
    const s = site();
    const r = await runCliInProcess(["broker", "acl", ...s.gateArgs, "--out", s.out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`broker accounts of site north: 12, written to ${s.out}`);
    expect(r.stdout).toMatch(/gate-main-1 +gate +passwords\/gate-main-1\.password \(new\)/);
    expect(r.stdout).toContain("skipped bridge:old: revoked");
    for (const pw of Object.values(passwords(s.out))) expect(r.stdout).not.toContain(pw.trim());
    expect(mode(s.out)).toBe(0o700);
    expect(mode(join(s.out, "passwords"))).toBe(0o700);
    for (const f of ["mosquitto.acl", "mosquitto.passwd", "dynamic-security.json", "emqx-acl.conf"])
      expect([f, mode(join(s.out, f))]).toEqual([f, 0o600]);
    for (const f of readdirSync(join(s.out, "passwords")))
      expect([f, mode(join(s.out, "passwords", f))]).toEqual([f, 0o600]);
    const emqx = readFileSync(join(s.out, "emqx-acl.conf"), "utf8");
    expect(emqx).toContain('{allow, {username, "board-fire-panel"}, publish, ["stat/fire-panel/SWITCH1"]}.');
    expect(emqx.trimEnd().endsWith("{deny, all}.")).toBe(true);
  });

  it("keeps every password on a rerun, and replaces them all with --force", async () => {
    const s = site();
    expect((await runCliInProcess(["broker", "acl", ...s.gateArgs, "--out", s.out])).code).toBe(0);
    const first = passwords(s.out);
    const again = await runCliInProcess(["broker", "acl", ...s.gateArgs, "--out", s.out, "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(passwords(s.out)).toEqual(first);
    const json = JSON.parse(again.stdout) as {
      accounts: { name: string; password: string; secret?: string }[];
    };
    expect(new Set(json.accounts.map((a) => a.password))).toEqual(new Set(["kept"]));
    expect(json.accounts.some((a) => a.secret !== undefined)).toBe(false);
    const forced = await runCliInProcess([
      "broker",
      "acl",
      ...s.gateArgs,
      "--out",
      s.out,
      "--force",
      "--json",
    ]);
    expect(forced.code, forced.stderr).toBe(0);
    const rotated = passwords(s.out);
    for (const [f, pw] of Object.entries(first)) expect([f, rotated[f]]).not.toEqual([f, pw]);
  });

  it("prints the passwords only with --show-passwords", async () => {
    const s = site();
    const r = await runCliInProcess(["broker", "acl", ...s.gateArgs, "--out", s.out, "--show-passwords"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`password ${passwords(s.out)["gate-main-1.password"]?.trim()}`);
  });

  it("takes bridges and operators from a signed roster file instead of the database", async () => {
    const s = site();
    const roster = join(s.dir, "roster.ndjson");
    const members = s.members.filter((m) => m.id !== "operator:chief");
    writeFileSync(
      roster,
      signedRoster(
        { site: "north", version: 3, issuedAt: "2025-01-01T00:00:00Z", members },
        { keyId: "reg-1", privateKey: brokerSiteRegistry.privateKey },
      ),
    );
    const r = await runCliInProcess([
      "broker",
      "acl",
      ...s.gateArgs,
      "--roster",
      roster,
      "--out",
      s.out,
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const names = (JSON.parse(r.stdout) as { accounts: { name: string }[] }).accounts.map((a) => a.name);
    expect(names).toContain("operator-desk-1");
    expect(names).not.toContain("operator-chief");
    writeFileSync(roster, readFileSync(roster, "utf8").replace("desk-1", "desk-2"));
    const forged = await runCliInProcess([
      "broker",
      "acl",
      ...s.gateArgs,
      "--roster",
      roster,
      "--out",
      s.out,
    ]);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toMatch(/roster .* refused \(digest_mismatch\)/);
  });

  it("refuses a directory others may read, a loose password file, and writes nothing for a bad topic", async () => {
    const s = site();
    mkdirSync(s.out, { mode: 0o755 });
    chmodSync(s.out, 0o755);
    const open = await runCliInProcess(["broker", "acl", ...s.gateArgs, "--out", s.out]);
    expect(open.code).toBe(1);
    expect(open.stderr).toMatch(/may be read by others \(mode 755\)/);
    chmodSync(s.out, 0o700);
    expect((await runCliInProcess(["broker", "acl", ...s.gateArgs, "--out", s.out])).code).toBe(0);
    chmodSync(join(s.out, "passwords", "gate-main-1.password"), 0o644);
    const loose = await runCliInProcess(["broker", "acl", ...s.gateArgs, "--out", s.out]);
    expect(loose.code).toBe(1);
    expect(loose.stderr).toMatch(/gate-main-1\.password may be read by others/);

    const bad = join(s.dir, "bad.yaml");
    // The config takes a firmware reader's topic with a space; the broker's files cannot.
    const raw = JSON.parse(readFileSync(s.files[0] ?? "", "utf8")) as {
      readers: { source: { topic?: string } }[];
    };
    const reader = raw.readers[1];
    if (reader !== undefined) reader.source.topic = "tele/reader out/RESULT";
    writeFileSync(bad, JSON.stringify(raw));
    const out = join(s.dir, "never");
    const r = await runCliInProcess(["broker", "acl", "--gate", bad, "--out", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /firmware reader out of gate main-1 "tele\/reader out\/RESULT" cannot be written into the ACL/,
    );
    expect(() => statSync(out)).toThrow();
  });
});
