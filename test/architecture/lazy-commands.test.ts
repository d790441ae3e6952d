import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../run-cli.js";

const dist = join(repoRoot, "dist");

/** Static `import … from` / `export … from` / `import "…"` of compiled JavaScript (dynamic imports left out). */
function staticImports(js: string): string[] {
  const found: string[] = [];
  const pattern = /^\s*(?:import|export)\s(?:[^;]*?\sfrom\s)?\s*["']([^"']+)["']/gm;
  for (const m of js.matchAll(pattern)) if (m[1] !== undefined) found.push(m[1]);
  return found;
}

/** What loading `entry` loads before any command runs: its static imports, followed through dist/. */
function loadedAtStart(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of staticImports(readFileSync(file, "utf8"))) {
      if (spec.startsWith(".")) todo.push(normalize(join(dirname(file), spec)));
      else if (!spec.startsWith("node:"))
        packages.add(
          spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] ?? spec),
        );
    }
  }
  return { files, packages };
}

describe("commands load what they use when they run", () => {
  const main = join(dist, "cli", "main.js");

  it("starting the CLI loads commander and the wiring, no handler and none of the heavy packages", () => {
    expect(existsSync(main), "dist/ is built by npm ci (npm run build)").toBe(true);
    const { files, packages } = loadedAtStart(main);
    expect([...packages]).toEqual(["commander"]);
    const loaded = [...files].map((f) => relative(dist, f));
    expect(loaded.filter((f) => f.startsWith("cli/handlers/"))).toEqual([]);
    // The wiring may use small pure modules (option parsers, the clock, the config error type),
    // never the layers that open databases, sockets and devices.
    expect(loaded.filter((f) => /^(daemon|app|sync|reader-bridge|sim)\//.test(f))).toEqual([]);
    expect(loaded).toContain("cli/commands/identity-command.js");
  });

  it("the reader follows static imports and leaves dynamic ones for later", () => {
    expect(
      staticImports(
        [
          'import { a } from "./a.js";',
          'import "./side.js";',
          'export { b } from "../b.js";',
          'const c = await import("./c.js");',
        ].join("\n"),
      ),
    ).toEqual(["./a.js", "./side.js", "../b.js"]);
  });
});
