import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../platform/log/logger.js";
import { GatesLog } from "./gates-log.js";

describe("GatesLog", () => {
  it("opens its file on the first line, so a folder emptied after start still gets the log", () => {
    const root = mkdtempSync(join(tmpdir(), "passgate-gates-log-"));
    const dir = join(root, "demo");
    const log = new GatesLog(join(dir, "gates.log"));
    const logger = createLogger({ level: "info", destination: log });
    expect(existsSync(dir)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
    logger.info({ component: "gate", gate: "gate-1" }, "started");
    logger.info({ token: "PG1:secret" }, "scan");
    log.close();
    const lines = readFileSync(join(dir, "gates.log"), "utf8").trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["started", "scan"]);
    expect(lines[1]).not.toContain("PG1:secret");
    rmSync(root, { recursive: true, force: true });
  });
});
