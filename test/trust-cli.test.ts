import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { keyFingerprint, publicKeyText } from "../daemon/trust/key-file.js";
import { signedRoster } from "../sim/registry/signed-roster.js";
import { runCliInProcess } from "./cli-harness.js";

const root = mkdtempSync(join(tmpdir(), "passgate-trust-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const registry = generateKeyPairSync("ed25519");
const registryPublic = publicKeyText(registry.publicKey);
const keyOf = () => publicKeyText(generateKeyPairSync("ed25519").publicKey);

let n = 0;
/** A gate of site s, trusting registry key reg-1, with no database yet. */
function gate(): string {
  const dir = join(root, `gate-${++n}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "gate.yaml");
  writeFileSync(
    file,
    `site: s\ngate: main-1\ntimezone: UTC\nstorage:\n  path: ${dir}/gate.db\n` +
      `registry:\n  url: http://127.0.0.1:9\n  trustedKeys:\n    reg-1: ${registryPublic}\n`,
  );
  return file;
}

const cli = (file: string, ...args: string[]) => runCliInProcess(["-c", file, "trust", ...args]);

describe("passgate trust", () => {
  it("adds local members from options or a printed record, lists them with scope, fingerprint and origin, removes them", async () => {
    const file = gate();
    // The first write creates the database; a list before it has nothing to read.
    const gateKey = keyOf();
    const added = await cli(
      file,
      "add",
      "gate:main-2",
      "--kind",
      "gate",
      "--gate",
      "main-2",
      `--public-key=${gateKey}`,
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toBe(`added gate:main-2 (gate, key ${keyFingerprint(gateKey)})\n`);
    const bridgeKey = keyOf();
    expect(
      (
        await cli(
          file,
          "add",
          "bridge:t3",
          "--kind",
          "bridge",
          "--gate",
          "main-1",
          "--readers",
          "in,out",
          `--public-key=${bridgeKey}`,
        )
      ).code,
    ).toBe(0);
    const deskKey = keyOf();
    const record = JSON.stringify({
      id: "operator:desk-1",
      kind: "operator",
      roles: ["guard"],
      publicKey: deskKey,
      status: "active",
    });
    expect((await cli(file, "add", "--record", record)).code).toBe(0);
    const evil = await cli(
      file,
      "add",
      "operator:evil",
      "--kind",
      "operator",
      "--roles",
      "guard",
      "--name",
      "x\u001b[2Jy",
      `--public-key=${keyOf()}`,
    );
    expect(evil.code, evil.stderr).toBe(0);

    const list = await cli(file, "list");
    expect(list.code).toBe(0);
    const lines = list.stdout.split("\n");
    expect(lines[0]).toBe("roster: local members only (no registry roster applied)");
    expect(lines[1]).toMatch(/^id +kind +scope +fingerprint +status +origin +name$/);
    expect(list.stdout).toMatch(
      new RegExp(
        `bridge:t3 +bridge +gate main-1, readers in,out +${keyFingerprint(bridgeKey)} +active +local`,
      ),
    );
    expect(list.stdout).toMatch(/operator:desk-1 +operator +guard on every gate /);
    expect(list.stdout).not.toContain("\u001b");
    expect(list.stdout).toContain('"x\\u001b[2Jy"');

    const json = JSON.parse((await cli(file, "list", "--json")).stdout);
    expect(json.version).toBeNull();
    expect(json.members.map((m: { id: string; origin: string }) => [m.id, m.origin])).toEqual([
      ["bridge:t3", "local"],
      ["gate:main-2", "local"],
      ["operator:desk-1", "local"],
      ["operator:evil", "local"],
    ]);

    expect((await cli(file, "remove", "operator:evil")).stdout).toBe("removed operator:evil\n");
    const absent = await cli(file, "remove", "operator:evil");
    expect(absent).toMatchObject({
      code: 1,
      stderr: 'passgate: no member "operator:evil" in the roster (passgate trust list)\n',
    });
  });

  it("refuses an invalid member as a usage error, on one line", async () => {
    const file = gate();
    const noReaders = await cli(
      file,
      "add",
      "bridge:b",
      "--kind",
      "bridge",
      "--gate",
      "main-1",
      `--public-key=${keyOf()}`,
    );
    expect(noReaders.code).toBe(2);
    expect(noReaders.stderr).toMatch(/^passgate: not a valid member: readers: a bridge member needs readers/);
    expect(noReaders.stderr.trim().split("\n")).toHaveLength(1);
    // A key may begin with "-" (even "-c", an option of its own): the = form always takes it.
    const dashKey = "-cRY3_heUoBz-5qhTe-JAkoUA40EJbhGPJktMz_c_Ys";
    const dashed = await cli(
      file,
      "add",
      "gate:dash",
      "--kind",
      "gate",
      "--gate",
      "dash",
      `--public-key=${dashKey}`,
    );
    expect(dashed.code, dashed.stderr).toBe(0);
    const badKey = await cli(file, "add", "gate:g", "--kind", "gate", "--gate", "g", "--public-key=short");
    expect(badKey.code).toBe(2);
    expect((await cli(file, "add", "--record", "{nope")).code).toBe(2);
  });

  it("imports a signed roster whole, newer only; it replaces local members, which cannot then be changed locally", async () => {
    const file = gate();
    expect(
      (await cli(file, "add", "gate:local", "--kind", "gate", "--gate", "local", `--public-key=${keyOf()}`))
        .code,
    ).toBe(0);
    const desk = {
      id: "operator:desk-1",
      kind: "operator",
      roles: ["guard", "admin"],
      publicKey: keyOf(),
      status: "active",
    };
    const write = (name: string, version: number, members: object[]) => {
      const path = join(root, name);
      writeFileSync(
        path,
        signedRoster(
          { site: "s", version, issuedAt: "2026-12-01T00:00:00Z", members },
          { keyId: "reg-1", privateKey: registry.privateKey },
        ),
      );
      return path;
    };
    const v5 = await cli(file, "import", write("v5.ndjson", 5, [desk]));
    expect(v5).toMatchObject({ code: 0, stdout: "roster v5 applied: 1 member(s)\n" });
    const list = await cli(file, "list");
    expect(list.stdout).toContain("roster v5 from the registry, issued 2026-12-01T00:00:00.000+00:00");
    expect(list.stdout).toMatch(
      /operator:desk-1 +operator +guard,admin on every gate +\S+ +active +registry/,
    );
    expect(list.stdout).not.toContain("gate:local");

    const older = await cli(file, "import", write("v4.ndjson", 4, []));
    expect(older.code).toBe(1);
    expect(older.stderr).toBe(
      "passgate: roster import refused (version_not_newer): v4 is not newer than v5 in force; the roster in force is unchanged\n",
    );
    const tamperedPath = write("v6.ndjson", 6, [desk]);
    writeFileSync(
      tamperedPath,
      (await import("node:fs"))
        .readFileSync(tamperedPath, "utf8")
        .replace('"guard","admin"', '"admin","guard"'),
    );
    const tampered = await cli(file, "import", tamperedPath);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toMatch(/^passgate: roster import refused \(digest_mismatch\)/);
    expect((await cli(file, "list", "--json")).stdout).toContain('"version": 5');

    const removeRegistry = await cli(file, "remove", "operator:desk-1");
    expect(removeRegistry).toMatchObject({
      code: 1,
      stderr: "passgate: operator:desk-1 comes from the registry's roster: revoke it at the registry\n",
    });
    expect((await cli(file, "import", join(root, "missing.ndjson"))).code).toBe(2);
  });
});
