import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../run-cli.js";

const dist = join(repoRoot, "dist");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe("the package", () => {
  it("ships a dist/ with no fakes, fixtures or tests, and nothing that loads a dev dependency", () => {
    expect(existsSync(join(dist, "cli", "main.js")), "dist/ is built by npm ci (npm run build)").toBe(true);
    const shipped = files(dist).map((f) => relative(dist, f));
    expect(shipped.length).toBeGreaterThan(200);
    expect(shipped.filter((f) => /(^|\/)(testing|testdata)\/|\.test\.|(^|\/)fake-/.test(f))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      devDependencies: Record<string, string>;
    };
    const dev = Object.keys(pkg.devDependencies);
    const loadsDev = shipped
      .filter((f) => f.endsWith(".js"))
      .filter((f) => {
        const text = readFileSync(join(dist, f), "utf8");
        return dev.some((d) => text.includes(`from "${d}"`) || text.includes(`from "${d}/`));
      });
    expect(loadsDev).toEqual([]);
  });

  it("declares only dependencies that the shipped code imports", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const text = files(dist)
      .filter((f) => f.endsWith(".js"))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    const unused = Object.keys(pkg.dependencies).filter(
      (d) => !text.includes(`"${d}"`) && !text.includes(`"${d}/`),
    );
    expect(unused).toEqual([]);
  });
});
