import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCliInProcess } from "./cli-harness.js";
import { sharedSpec } from "./run-cli.js";

const vectorsPath = join(sharedSpec, "pass-token-vectors.json");

describe("passgate token vectors", () => {
  it("passes every shared vector, one line per case, exit 0", async () => {
    const cases = (JSON.parse(readFileSync(vectorsPath, "utf8")) as { cases: unknown[] }).cases.length;
    const r = await runCliInProcess(["token", "vectors", vectorsPath]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(cases + 1);
    expect(lines.at(-1)).toBe(`${cases} passed, 0 failed`);
    expect(lines.slice(0, -1).every((l) => l.startsWith("ok "))).toBe(true);
  });

  it("--json prints one document with every case, exit 1 when one differs", async () => {
    const file = JSON.parse(readFileSync(vectorsPath, "utf8")) as { cases: { result: string }[] };
    file.cases[0]!.result = "expired";
    const path = join(mkdtempSync(join(tmpdir(), "passgate-vectors-")), "changed.json");
    writeFileSync(path, JSON.stringify(file));
    const r = await runCliInProcess(["token", "vectors", path, "--json"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { passed: number; failed: number; cases: { pass: boolean }[] };
    expect(report.failed).toBe(1);
    expect(report.passed).toBe(file.cases.length - 1);
    expect(report.cases[0]).toEqual({
      name: "RFC 6238 SHA1 vector (T=1, OTP 94287082)",
      pass: false,
      expected: "expired",
      actual: "ok",
    });
  });

  it("exits 1 and names the case when an expected result differs", async () => {
    const file = JSON.parse(readFileSync(vectorsPath, "utf8")) as { cases: { result: string }[] };
    file.cases[0]!.result = "expired";
    const path = join(mkdtempSync(join(tmpdir(), "passgate-vectors-")), "changed.json");
    writeFileSync(path, JSON.stringify(file));
    const r = await runCliInProcess(["token", "vectors", path]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("FAIL RFC 6238 SHA1 vector (T=1, OTP 94287082): expected expired, got ok");
  });

  it("exits 2 with a clear message for a file that is not a vector file", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "passgate-vectors-")), "bad.json");
    writeFileSync(path, JSON.stringify({ credentials: [{ id: "x" }] }));
    const r = await runCliInProcess(["token", "vectors", path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/credentials\.0/);
  });
});
