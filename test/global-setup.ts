import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { missingProgramsLine } from "./os-packages.mjs";
import { repoRoot } from "./run-cli.js";

/** The folders `dist/` is built from (tsconfig.build.json). */
const SOURCES = ["platform", "config", "daemon", "reader-bridge", "sync", "app", "sim", "cli"];

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "testing") newest = Math.max(newest, newestSource(path));
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts"))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Runs once before the test files: stops the run with one line when a program the tests
 * start is missing, and rebuilds `dist/` when a source is newer than it, since the tests
 * that need a process of their own run the built CLI (test/run-cli.ts).
 */
export default function setup(): void {
  const missing = missingProgramsLine();
  if (missing !== undefined) {
    process.stderr.write(`\n${missing}\n\n`);
    process.exit(1);
  }
  const built = join(repoRoot, "dist", "cli", "main.js");
  const stale =
    !existsSync(built) || SOURCES.some((dir) => newestSource(join(repoRoot, dir)) > statSync(built).mtimeMs);
  if (stale) {
    process.stderr.write("dist/ is older than the sources: npm run build\n");
    execFileSync("npm", ["run", "-s", "build"], { cwd: repoRoot, stdio: "inherit" });
  }
}
