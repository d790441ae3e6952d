import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("./bench-child.ts", import.meta.url));

/**
 * Runs one scenario of bench/bench-child.ts in a node process of its own (default node
 * flags, as `passgate run` has) and returns the JSON it prints. A gate's memory is measured
 * this way because a process does not give back what an earlier bench grew (the floor's
 * 10⁶-row transaction left 340 MB of RssAnon behind in the bench process).
 */
export function runBenchChild(scenario: string, args: object, log: (m: string) => void): Promise<unknown> {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, scenario, JSON.stringify(args)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    for (const line of d.toString().split("\n")) if (line.startsWith("bench:")) log(line);
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      if (code !== 0) reject(new Error(`bench child ${scenario} exited ${code}: ${stderr.slice(-2000)}`));
      else resolve(JSON.parse(stdout.trim().split("\n").at(-1) ?? "null"));
    });
  });
}
