import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const CHILD = fileURLToPath(new URL("./bench-child.ts", import.meta.url));
/** In the repository's git-ignored cache, so `better-sqlite3` resolves from it as from dist/. */
const BUNDLE = fileURLToPath(new URL("../.bench-cache/gate-child.mjs", import.meta.url));

/**
 * Runs one scenario of bench/bench-child.ts in a node process of its own and returns the
 * JSON it prints. A gate's memory is measured this way because a process does not give
 * back what an earlier bench grew (the floor's 10⁶-row transaction left 340 MB of RssAnon
 * behind in the bench process). The child is bundled to plain JavaScript with esbuild (the
 * bundler tsx itself uses) and run by plain node, as `passgate run` runs dist/: under tsx
 * its loader thread alone added 28 MB of RssAnon. `PASSGATE_BENCH_GATE_NODE_FLAGS="…"`
 * tries node flags (the gate's unit sets none).
 */
export async function runBenchChild(
  scenario: string,
  args: object,
  log: (m: string) => void,
): Promise<unknown> {
  await build({
    entryPoints: [CHILD],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile: BUNDLE,
    logLevel: "error",
  });
  const flags = (process.env.PASSGATE_BENCH_GATE_NODE_FLAGS ?? "").split(" ").filter((f) => f !== "");
  const child = spawn(process.execPath, [...flags, BUNDLE, scenario, JSON.stringify(args)], {
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

/** The node flags the gate child runs with, for the result line. */
export function gateNodeFlags(): string {
  return process.env.PASSGATE_BENCH_GATE_NODE_FLAGS ?? "";
}
