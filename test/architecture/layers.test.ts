import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../run-cli.js";
import {
  edgesWithin,
  folderCycles,
  type ImportEdge,
  importGraph,
  importsOf,
  isProductCode,
  LAYERS,
  layerViolation,
  sourceFiles,
  TEST_FOLDERS,
  topFolder,
} from "./import-graph.js";

const edges = importGraph(repoRoot);
const productEdges = edges.filter((e) => isProductCode(e.from));

describe("the layers of the code (docs/architecture.md)", () => {
  it("reads the imports of the whole repo", () => {
    // A parser that found nothing would pass every check below.
    expect(sourceFiles(repoRoot).length).toBeGreaterThan(300);
    expect(productEdges.length).toBeGreaterThan(500);
    for (const e of edges.slice(0, 200)) expect(existsSync(join(repoRoot, e.to)), e.to).toBe(true);
  });

  it("has no cycle between top-level folders in product code", () => {
    const cycles = folderCycles(productEdges).map(
      (c) => `${c.join(" <-> ")}:\n  ${edgesWithin(productEdges, c).join("\n  ")}`,
    );
    expect(cycles).toEqual([]);
  });

  it("imports only downwards: each folder from its own layer or a lower one", () => {
    const violations = edges.map(layerViolation).filter((v) => v !== undefined);
    expect(violations).toEqual([]);
  });

  it("places every top-level folder that holds code in a layer", () => {
    const folders = new Set(
      sourceFiles(repoRoot)
        .filter((f) => f.includes("/"))
        .map(topFolder),
    );
    const placed = new Set([...LAYERS.flat(), ...TEST_FOLDERS]);
    expect([...folders].filter((f) => !placed.has(f))).toEqual([]);
  });
});

describe("the checker itself", () => {
  const edge = (from: string, to: string): ImportEdge => ({ from, to });

  it("finds a cycle through several folders and names the imports that make it", () => {
    const graph = [
      edge("config/a.ts", "daemon/b.ts"),
      edge("daemon/b.ts", "sync/c.ts"),
      edge("sync/c.ts", "config/d.ts"),
      edge("cli/e.ts", "config/a.ts"),
    ];
    expect(folderCycles(graph)).toEqual([["config", "daemon", "sync"]]);
    expect(edgesWithin(graph, ["config", "daemon", "sync"])).toHaveLength(3);
    expect(folderCycles(graph.slice(1))).toEqual([]);
  });

  it("refuses an upward import, an import between siblings, and product code importing test code", () => {
    expect(layerViolation(edge("daemon/gate/gate.ts", "app/daemon.ts"))).toMatch(/daemon\/ is below app\//);
    expect(layerViolation(edge("sync/a.ts", "reader-bridge/b.ts"))).toMatch(/share a layer/);
    expect(layerViolation(edge("app/a.ts", "daemon/allowlist/testing/fake.ts"))).toMatch(/imports test code/);
    expect(layerViolation(edge("daemon/x/testing/f.ts", "sim/y.ts"))).toMatch(/daemon\/ is below sim\//);
    expect(layerViolation(edge("cli/a.ts", "platform/log/logger.ts"))).toBeUndefined();
    expect(layerViolation(edge("bench/a.ts", "platform/testing/fake-clock.ts"))).toBeUndefined();
    expect(layerViolation(edge("bench/a.ts", "test/run-cli.ts"))).toMatch(/imports test code/);
    expect(layerViolation(edge("daemon/a.test.ts", "sim/phone/phone.ts"))).toBeUndefined();
    expect(layerViolation(edge("newfolder/a.ts", "config/b.ts"))).toMatch(/in no layer/);
  });

  it("reads static, type-only, re-exported and dynamic imports, and leaves packages out", () => {
    const text = [
      'import { a } from "./a.js";',
      'import type { B } from "../b/b.js";',
      'export { c } from "./c.js";',
      'const d = await import("./d.js");',
      'import { z } from "zod";',
      'import "./side-effect.js";',
    ].join("\n");
    expect(importsOf("x/y/file.ts", text).map((e) => e.to)).toEqual([
      "x/y/a.ts",
      "x/b/b.ts",
      "x/y/c.ts",
      "x/y/d.ts",
      "x/y/side-effect.ts",
    ]);
  });
});
