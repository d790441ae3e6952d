import { execFile } from "node:child_process";
import { onPath } from "../os-packages.mjs";

/** The one line a test fails with when promtool is missing, as test/os-packages.mjs words it. */
export const PROMTOOL_MISSING =
  "passgate tests: promtool not found on PATH — install with: sudo apt-get install --no-install-recommends prometheus";

/** Runs `promtool args…`; fails with one line when promtool is not installed. */
export function promtool(args: readonly string[]): Promise<{ code: number; output: string }> {
  if (!onPath("promtool")) throw new Error(PROMTOOL_MISSING);
  return new Promise((resolve) => {
    execFile("promtool", [...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}
