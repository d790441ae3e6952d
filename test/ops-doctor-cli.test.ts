import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { overwritePages } from "../platform/testing/overwrite-pages.js";
import { runCliInProcess } from "./cli-harness.js";
import { OpsGate } from "./ops-fixture.js";

let gate: OpsGate;
beforeEach(() => {
  gate = new OpsGate();
});
afterEach(() => gate.close());

describe("passgate doctor (the CLI on this machine)", { timeout: 60_000 }, () => {
  it("a seeded gate without network sections: exit 0, every check a line with its status", async () => {
    await gate.seed();
    const config = gate.writeConfig();
    const text = await runCliInProcess(["-c", config, "doctor"]);
    // This machine's clock may be unsynchronised (a container): then exit 1 and the clock line says so.
    const clockFails = /^FAIL {2}clock/m.test(text.stdout);
    expect(text.code).toBe(clockFails ? 1 : 0);
    expect(text.stdout).toMatch(/^ok {4}config {17}.*gate\.yaml is valid$/m);
    expect(text.stdout).toMatch(/^ok {4}db-integrity {11}quick_check ok$/m);
    expect(text.stdout).toMatch(/^ok {4}allowlist {14}v7, \d+ s old \(no staleness budgets\)$/m);
    expect(text.stdout).toMatch(/^\d+ failed, \d+ warnings, \d+ ok$/m);

    const json = JSON.parse((await runCliInProcess(["-c", config, "doctor", "--json"])).stdout);
    expect(json.ok).toBe(!clockFails);
    for (const check of json.checks) {
      expect(["ok", "warn", "fail"]).toContain(check.status);
      expect(check.finding).not.toContain("\n");
      if (check.status !== "ok") expect(check.fix).toEqual(expect.any(String));
    }
  });

  it("no database yet: the allowlist check fails, exit 1, with a fix", async () => {
    const result = await runCliInProcess(["-c", gate.writeConfig(), "doctor"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^FAIL {2}allowlist {14}no allowlist yet: every scan is denied\n {7}fix: passgate sync now/m,
    );
  });

  it("a database with pages overwritten: db-integrity fails, exit 1, and the fix says how to restore a backup", async () => {
    await gate.seed();
    gate.appendDecisions(400, Date.now() - 3_600_000);
    const db = gate.open();
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    overwritePages(gate.dbPath, 6, 14);
    const result = await runCliInProcess(["-c", gate.writeConfig(), "doctor", "--json"]);
    expect(result.code).toBe(1);
    const integrity = JSON.parse(result.stdout).checks.find((c: { id: string }) => c.id === "db-integrity");
    expect(integrity).toMatchObject({ status: "fail", finding: expect.stringMatching(/database .*damaged/) });
    expect(integrity.fix).toContain("restore the last backup: systemctl stop passgate");
    expect(integrity.fix).toContain(`mv ${gate.dbPath} ${gate.dbPath}.damaged`);
    expect(integrity.fix).toContain("passgate db check");
    // A command that meets the damage says what it is and where the steps are, on one line.
    const check = await runCliInProcess(["-c", gate.config, "db", "check"]);
    expect(check.code).toBe(1);
    expect(check.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^passgate: the gate's database is damaged \(.+\) — passgate doctor says how to restore a backup$/,
      ),
    ]);
  });

  it("a broken config is a failed check, exit 1; a bad flag one line, exit 2", async () => {
    const config = gate.writeConfig("bogus: 1\n");
    const broken = await runCliInProcess(["-c", config, "doctor", "--json"]);
    expect(broken.code).toBe(1);
    const report = JSON.parse(broken.stdout);
    expect(report.ok).toBe(false);
    expect(report.checks).toEqual([
      expect.objectContaining({
        id: "config",
        status: "fail",
        fix: `passgate --config ${config} config check`,
      }),
    ]);
    expect(report.checks[0].finding).toContain("bogus");
    const bad = await runCliInProcess(["-c", config, "doctor", "--fix"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect((await runCliInProcess(["doctor", "--help"])).stdout).toContain("Examples:\n  passgate doctor");
  });
});
