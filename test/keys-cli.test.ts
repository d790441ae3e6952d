import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { keyFingerprint, publicKeyText, readKeyFile } from "../daemon/trust/key-file.js";
import { rosterMemberSchema } from "../daemon/trust/roster-member.js";
import { runCliInProcess } from "./cli-harness.js";

const root = mkdtempSync(join(tmpdir(), "passgate-keys-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A gate folder with a minimal config and no key yet. */
function gateConfig(): { dir: string; file: string } {
  const dir = join(root, `gate-${++n}`);
  const file = join(dir, "gate.yaml");
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `site: s\ngate: main-${n}\ntimezone: UTC\nstorage:\n  path: ${dir}/var/gate.db\n`);
  return { dir, file };
}

describe("passgate keys", () => {
  it("init makes this gate's key in a 0600 file whatever the umask, names it in the config, prints only the public side", async () => {
    const { dir, file } = gateConfig();
    const umask = process.umask(0);
    let result: Awaited<ReturnType<typeof runCliInProcess>>;
    try {
      result = await runCliInProcess(["-c", file, "keys", "init", "--json"]);
    } finally {
      process.umask(umask);
    }
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as {
      file: string;
      member: Record<string, unknown>;
      fingerprint: string;
    };
    expect(out.file).toBe(join(dir, "var", "gate.key"));
    expect(statSync(out.file).mode & 0o777).toBe(0o600);
    const key = readKeyFile(out.file);
    expect(out.member).toEqual({
      id: `gate:main-${n}`,
      kind: "gate",
      gate: `main-${n}`,
      publicKey: publicKeyText(key),
      status: "active",
    });
    expect(rosterMemberSchema.safeParse(out.member).success).toBe(true);
    expect(out.fingerprint).toBe(keyFingerprint(publicKeyText(key)));
    expect(readFileSync(file, "utf8")).toContain(`trust:\n  keyFile: ${out.file}\n`);
    const privateD = key.export({ format: "jwk" }).d as string;
    expect(result.stdout).not.toContain(privateD);
    expect(result.stdout).not.toContain("PRIVATE KEY");
  });

  it("refuses to replace a key without --force, and replaces it with", async () => {
    const { file } = gateConfig();
    const first = JSON.parse((await runCliInProcess(["-c", file, "keys", "init", "--json"])).stdout);
    const again = await runCliInProcess(["-c", file, "keys", "init"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /a key exists at .*gate\.key: passgate keys show prints it; --force replaces it/,
    );
    expect(publicKeyText(readKeyFile(first.file))).toBe(first.member.publicKey);
    const forced = JSON.parse(
      (await runCliInProcess(["-c", file, "keys", "init", "--force", "--json"])).stdout,
    );
    expect(forced.member.publicKey).not.toBe(first.member.publicKey);
    expect(publicKeyText(readKeyFile(first.file))).toBe(forced.member.publicKey);
  });

  it("show prints the gate's public key and member record, and says how to make one when there is none", async () => {
    const { file } = gateConfig();
    const none = await runCliInProcess(["-c", file, "keys", "show"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      "passgate: this gate has no key yet (trust.keyFile): make one with passgate keys init\n",
    );
    const made = JSON.parse((await runCliInProcess(["-c", file, "keys", "init", "--json"])).stdout);
    const shown = await runCliInProcess(["-c", file, "keys", "show"]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`public key   ${made.member.publicKey}\n`);
    expect(shown.stdout).toContain(JSON.stringify(made.member));
  });

  it("an operator's key goes to the user's config folder with no gate config, as a guard", async () => {
    const home = join(root, "home");
    const result = await runCliInProcess(["keys", "init", "--operator", "desk-1", "--json"], {
      env: { XDG_CONFIG_HOME: home },
    });
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.file).toBe(join(home, "passgate", "operator-desk-1.key"));
    expect(statSync(out.file).mode & 0o777).toBe(0o600);
    expect(out.member).toMatchObject({
      id: "operator:desk-1",
      kind: "operator",
      roles: ["guard"],
      status: "active",
    });
    expect(rosterMemberSchema.safeParse(out.member).success).toBe(true);
    const shown = await runCliInProcess([
      "keys",
      "show",
      "--key",
      out.file,
      "--operator",
      "desk-1",
      "--json",
    ]);
    expect(JSON.parse(shown.stdout).member).toEqual(out.member);
    expect((await runCliInProcess(["keys", "init", "--operator", "bad name"])).code).toBe(2);
  });

  it("a key file others may read is refused with the fix; a file that is no key says so", async () => {
    const home = join(root, "home-2");
    const out = JSON.parse(
      (
        await runCliInProcess(["keys", "init", "--operator", "o", "--json"], {
          env: { XDG_CONFIG_HOME: home },
        })
      ).stdout,
    );
    chmodSync(out.file, 0o644);
    const shown = await runCliInProcess(["keys", "show", "--key", out.file]);
    expect(shown.code).toBe(1);
    expect(shown.stderr).toBe(
      `passgate: key file ${out.file} may be read by others (mode 644): chmod 600 ${out.file}\n`,
    );
    const junk = join(home, "junk.key");
    writeFileSync(junk, "not a key", { mode: 0o600 });
    expect((await runCliInProcess(["keys", "show", "--key", junk])).stderr).toBe(
      `passgate: key file ${junk} holds no PEM private key\n`,
    );
  });
});
