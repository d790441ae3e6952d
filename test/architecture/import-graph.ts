import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";

/** One relative import of one source file, both as paths from the repo root. */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
}

/**
 * The layers of passgate's top-level folders, lowest first. A folder may import its own
 * layer's code and any lower layer's; folders that share a layer may not import each other.
 * docs/architecture.md explains each layer.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ["platform"],
  ["config"],
  ["daemon"],
  ["reader-bridge", "sync"],
  ["app", "console", "notify"],
  ["sim"],
  ["cli"],
  ["bench"],
];

/** Folders of test code only: they may import anything, and nothing else may import them. */
export const TEST_FOLDERS: readonly string[] = ["test"];

/**
 * Folders that are not shipped in `dist/` (the benchmarks): they keep the layering, and may
 * also use the fakes and helpers of `testing/` folders (never the test-only folders).
 */
export const TOOL_FOLDERS: readonly string[] = ["bench"];

const SKIP = new Set(["node_modules", "dist", ".git", "var", ".bench-cache", "coverage"]);
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s(?:type\s)?[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gm;

/** Every `.ts` file under `root`, as paths from it. */
export function sourceFiles(root: string, dir = "."): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = normalize(join(dir, entry.name));
    if (entry.isDirectory()) out.push(...sourceFiles(root, path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** The relative imports of `file` (static, type-only, re-exports and dynamic), resolved to `.ts` paths. */
export function importsOf(file: string, text: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec === undefined || !spec.startsWith(".")) continue;
    const to = normalize(join(dirname(file), spec)).replace(/\.js$/, ".ts");
    edges.push({ from: file, to });
  }
  return edges;
}

/** Every relative import in the repo at `root`. */
export function importGraph(root: string): ImportEdge[] {
  return sourceFiles(root).flatMap((file) => importsOf(file, readFileSync(join(root, file), "utf8")));
}

export function topFolder(path: string): string {
  return path.split(sep)[0] ?? path;
}

/** Test code: `*.test.ts`, anything in a `testing/` folder, and the test-only folders. */
export function isTestCode(path: string): boolean {
  return (
    path.endsWith(".test.ts") || path.split(sep).includes("testing") || TEST_FOLDERS.includes(topFolder(path))
  );
}

/** Product code: what `dist/` is built from, plus the benchmarks (which are not shipped). */
export function isProductCode(path: string): boolean {
  return !isTestCode(path) && path.includes(sep);
}

export function layerOf(folder: string): number {
  return LAYERS.findIndex((layer) => layer.includes(folder));
}

/** Why `edge` breaks the layering, or undefined when it keeps it. */
export function layerViolation(edge: ImportEdge): string | undefined {
  const fromTest = isTestCode(edge.from);
  const fromTool = TOOL_FOLDERS.includes(topFolder(edge.from));
  const toTestOnly = edge.to.endsWith(".test.ts") || TEST_FOLDERS.includes(topFolder(edge.to));
  if (!fromTest && isTestCode(edge.to) && !(fromTool && !toTestOnly))
    return `${edge.from} imports test code ${edge.to}`;
  if (edge.from.endsWith(".test.ts") || TEST_FOLDERS.includes(topFolder(edge.from))) return undefined;
  const a = topFolder(edge.from);
  const b = topFolder(edge.to);
  if (a === b) return undefined;
  const la = layerOf(a);
  const lb = layerOf(b);
  if (la < 0) return `${a}/ is in no layer (add it to LAYERS in test/architecture/import-graph.ts)`;
  if (lb < 0) return `${b}/ is in no layer (add it to LAYERS in test/architecture/import-graph.ts)`;
  if (lb > la) return `${edge.from} imports ${edge.to}: ${a}/ is below ${b}/`;
  if (lb === la) return `${edge.from} imports ${edge.to}: ${a}/ and ${b}/ share a layer and stay apart`;
  return undefined;
}

/**
 * The cycles between top-level folders that `edges` make, each as the folders in order
 * (`[a, b]` means a imports b and b imports a, through any files). Tarjan's strongly
 * connected components on the folder graph: every component of more than one folder holds
 * a cycle.
 */
export function folderCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    const a = topFolder(from);
    const b = topFolder(to);
    if (a === b) continue;
    if (!next.has(a)) next.set(a, new Set());
    if (!next.has(b)) next.set(b, new Set());
    next.get(a)?.add(b);
  }
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return components;
}

/** For a failure message: the file imports that tie the folders of one cycle together. */
export function edgesWithin(edges: readonly ImportEdge[], folders: readonly string[]): string[] {
  return edges
    .filter((e) => {
      const a = topFolder(e.from);
      const b = topFolder(e.to);
      return a !== b && folders.includes(a) && folders.includes(b);
    })
    .map((e) => `${e.from} -> ${relative(".", e.to)}`);
}
