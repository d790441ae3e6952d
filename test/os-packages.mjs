// The programs the tests start for real. Run first by `npm test` and by Vitest's global
// setup, so a machine without them stops at once with one line instead of a stack trace
// per test file. Plain JavaScript: it runs before anything is compiled.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";

/** Program on PATH → the Debian package that brings it. */
export const TEST_PROGRAMS = [
  { program: "mosquitto", pkg: "mosquitto" },
  { program: "socat", pkg: "socat" },
  { program: "promtool", pkg: "prometheus" },
  // The console's browser tests drive Debian's chromium (test/browser/chromium.ts).
  { program: "chromium", pkg: "chromium" },
];

function isExecutable(file) {
  if (file === undefined || file === "") return false;
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether `program` is an executable file in one of PATH's folders. */
export function onPath(program, path = process.env.PATH ?? "") {
  return path
    .split(delimiter)
    .filter((dir) => dir !== "")
    .some((dir) => isExecutable(join(dir, program)));
}

/** The one line to print when programs are missing; undefined when all are there. */
export function missingProgramsLine(path = process.env.PATH ?? "", env = process.env) {
  // PASSGATE_CHROMIUM names another chromium build, which then need not be on PATH.
  const chromiumElsewhere = (p) => p.program === "chromium" && isExecutable(env.PASSGATE_CHROMIUM);
  const missing = TEST_PROGRAMS.filter((p) => !onPath(p.program, path) && !chromiumElsewhere(p));
  if (missing.length === 0) return undefined;
  const names = missing.map((p) => p.program).join(", ");
  const pkgs = missing.map((p) => p.pkg).join(" ");
  return `passgate tests: ${names} not found on PATH — install with: sudo apt-get install ${pkgs} (or run bash .ci/run, which installs everything the tests need)`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const line = missingProgramsLine();
  if (line !== undefined) {
    process.stderr.write(`${line}\n`);
    process.exit(1);
  }
}
