import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Decision lines of the demo's plain output, as "gate/reader result". */
export function demoDecisions(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((line) => /^\d\d:\d\d:\d\d\.\d{3} (gate-\d+)\/(\w+) +(granted|denied) /.exec(line))
    .filter((m) => m !== null)
    .map((m) => `${m[1]}/${m[2]} ${m[3]}`);
}

/** Fresh demo folders under the system's temp folder, removed by `removeAll`. */
export class DemoDirs {
  private readonly roots: string[] = [];

  make(): string {
    const root = mkdtempSync(join(tmpdir(), "passgate-demo-"));
    this.roots.push(root);
    return join(root, "demo");
  }

  removeAll(): void {
    for (const root of this.roots) rmSync(root, { recursive: true, force: true });
  }
}
