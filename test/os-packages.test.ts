import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { missingProgramsLine, onPath } from "./os-packages.mjs";

const dir = mkdtempSync(join(tmpdir(), "passgate-path-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the programs the tests start", () => {
  it("names each missing one and how to install it, in one line", () => {
    writeFileSync(join(dir, "mosquitto"), "#!/bin/sh\n");
    chmodSync(join(dir, "mosquitto"), 0o755);
    writeFileSync(join(dir, "promtool"), "#!/bin/sh\n");
    chmodSync(join(dir, "promtool"), 0o755);
    writeFileSync(join(dir, "socat"), "not executable");
    expect(onPath("mosquitto", dir)).toBe(true);
    expect(onPath("socat", dir)).toBe(false);
    const line = missingProgramsLine(dir);
    expect(line).toBe(
      "passgate tests: socat not found on PATH — install with: sudo apt-get install socat (or run bash .ci/run, which installs everything the tests need)",
    );
    expect(missingProgramsLine(`${dir}:/nowhere`)).not.toContain("mosquitto");
  });

  it("is silent when all are there", () => {
    chmodSync(join(dir, "socat"), 0o755);
    expect(missingProgramsLine(dir)).toBeUndefined();
  });
});
