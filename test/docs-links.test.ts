import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import GithubSlugger from "github-slugger";
import { describe, expect, it } from "vitest";

// Facilities staff follow the docs from link to link at the gate: every relative link in a
// tracked Markdown file must reach a file, and every #anchor a heading of it, as GitHub
// renders them (github-slugger is GitHub's own heading-to-anchor rule).

const root = fileURLToPath(new URL("..", import.meta.url));
const markdownFiles = execFileSync("git", ["ls-files", "*.md"], { cwd: root, encoding: "utf8" })
  .split("\n")
  .filter((f) => f !== "" && existsSync(join(root, f)));

/** The text of a Markdown file with fenced code blocks and inline code spans blanked out. */
function prose(text: string): string[] {
  let fenced = false;
  return text.split("\n").map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return "";
    }
    return fenced ? "" : line.replace(/`[^`]*`/g, "``");
  });
}

/** The anchors GitHub gives a Markdown file's headings (and any explicit `<a id>`/`<a name>`). */
function anchorsOf(file: string): Set<string> {
  const slugger = new GithubSlugger();
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    // The rendered text: inline code keeps its content, emphasis and links lose their marks.
    if (heading?.[1] !== undefined)
      anchors.add(
        slugger.slug(
          heading[1]
            .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
            .replace(/(\*\*|__|\*)/g, "")
            .replace(/`/g, ""),
        ),
      );
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) if (m[1] !== undefined) anchors.add(m[1]);
  }
  return anchors;
}

/** Every relative link target in a Markdown file, with its line number. */
function linksOf(file: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  prose(readFileSync(file, "utf8")).forEach((text, i) => {
    for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
      if (m[1] !== undefined) links.push({ line: i + 1, target: m[1] });
    const reference = /^\s*\[[^\]]+\]:\s+(\S+)/.exec(text);
    if (reference?.[1] !== undefined) links.push({ line: i + 1, target: reference[1] });
  });
  return links.filter(({ target }) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** What is wrong with each broken link of `file` ("docs/x.md:12 → y.md#z: no such heading"). */
function brokenLinks(file: string, anchors: (file: string) => Set<string>): string[] {
  const broken: string[] = [];
  const at = join(root, file);
  for (const { line, target } of linksOf(at)) {
    const hash = target.indexOf("#");
    const path = hash < 0 ? target : target.slice(0, hash);
    const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const linked = path === "" ? at : join(dirname(at), decodeURIComponent(path));
    const where = `${file}:${line} → ${target}`;
    if (!existsSync(linked)) broken.push(`${where}: no such file`);
    else if (anchor !== undefined && linked.endsWith(".md") && !anchors(linked).has(anchor))
      broken.push(`${where}: no heading with that anchor in ${relative(root, linked)}`);
  }
  return broken;
}

describe("the docs' links", () => {
  const cache = new Map<string, Set<string>>();
  const anchors = (file: string) => {
    const known = cache.get(file) ?? anchorsOf(file);
    cache.set(file, known);
    return known;
  };

  it("finds the tracked Markdown files and the links in them", () => {
    expect(markdownFiles).toContain("README.md");
    expect(markdownFiles.filter((f) => f.startsWith("docs/")).length).toBeGreaterThan(10);
    expect(markdownFiles.reduce((n, f) => n + linksOf(join(root, f)).length, 0)).toBeGreaterThan(100);
  });

  it("reach a file, and a heading of it for each #anchor", () => {
    expect(markdownFiles.flatMap((f) => brokenLinks(f, anchors))).toEqual([]);
  });

  it("names a missing file and a missing heading", () => {
    const slugs = anchorsOf(join(root, "docs", "scale.md"));
    expect(slugs).toContain("campus-scale");
    expect(slugs.has("campus-scale-to-be-filled-from-the-same-releases-runs")).toBe(false);
    // GitHub's rule: code marks and punctuation dropped, spaces to hyphens.
    expect(anchorsOf(join(root, "docs", "simulator.md"))).toContain("gate-processes---processes");
  });
});
