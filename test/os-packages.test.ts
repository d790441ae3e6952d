import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { missingProgramsLine, onPath } from "./os-packages.mjs";

const dir = mkdtempSync(join(tmpdir(), "passgate-path-"));
const elsewhere = mkdtempSync(join(tmpdir(), "passgate-chromium-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

function executable(path: string): void {
  writeFileSync(path, "#!/bin/sh\n");
  chmodSync(path, 0o755);
}

describe("the programs the tests start", () => {
  it("names each missing one and how to install it, in one line", () => {
    executable(join(dir, "mosquitto"));
    executable(join(dir, "chromium"));
    executable(join(dir, "promtool"));
    writeFileSync(join(dir, "socat"), "not executable");
    expect(onPath("mosquitto", dir)).toBe(true);
    expect(onPath("socat", dir)).toBe(false);
    const line = missingProgramsLine(dir, {});
    expect(line).toBe(
      "passgate tests: socat not found on PATH — install with: sudo apt-get install socat (or run bash .ci/run, which installs everything the tests need)",
    );
    expect(missingProgramsLine(`${dir}:/nowhere`, {})).not.toContain("mosquitto");
  });

  it("is silent when all are there", () => {
    chmodSync(join(dir, "socat"), 0o755);
    expect(missingProgramsLine(dir, {})).toBeUndefined();
  });

  it("names the chromium package when the browser is missing, unless PASSGATE_CHROMIUM points at one", () => {
    rmSync(join(dir, "chromium"));
    expect(missingProgramsLine(dir, {})).toBe(
      "passgate tests: chromium not found on PATH — install with: sudo apt-get install chromium (or run bash .ci/run, which installs everything the tests need)",
    );
    expect(missingProgramsLine(dir, { PASSGATE_CHROMIUM: join(elsewhere, "chrome") })).toContain("chromium");
    executable(join(elsewhere, "chrome"));
    expect(missingProgramsLine(dir, { PASSGATE_CHROMIUM: join(elsewhere, "chrome") })).toBeUndefined();
  });
});
