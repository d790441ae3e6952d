import { isDeepStrictEqual } from "node:util";
import {
  Document,
  isMap,
  isScalar,
  isSeq,
  type Node,
  parseDocument,
  type ToStringOptions,
  YAMLMap,
  YAMLSeq,
} from "yaml";

/**
 * Adds a key that is not in the file yet, or an item at the end of a list, by inserting
 * its lines as text after the last entry of the block section or list that gets it (a new
 * top-level section goes at the end of the file). Every other byte stays as it was: `yaml` keeps comments when it
 * renders a whole document, but it moves a comment block that sits between two sections and
 * normalises the spacing of flow lists, which turns a readable file into a noisy diff.
 *
 * `build(rest)` makes the value below the missing key. Undefined when the text route does
 * not apply (a flow section `{…}`, an alias, a key that exists, several documents) or when
 * the result would not read back as `expected` (the document the full render makes): the
 * caller then renders the document.
 */
export function insertMissingKey(
  text: string,
  segments: readonly string[],
  build: (doc: Document, rest: readonly string[]) => Node,
  options: ToStringOptions,
  expected: unknown,
): string | undefined {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return undefined;
  let parent: unknown = doc.contents;
  for (const [i, key] of segments.entries()) {
    if (
      isSeq(parent) &&
      parent.flow !== true &&
      key === String(parent.items.length) &&
      parent.items.length > 0
    ) {
      // A new list item (`reader add`, `relay add`): after the list's last item.
      const snippetDoc = new Document();
      const list = new YAMLSeq(snippetDoc.schema);
      list.items.push(build(snippetDoc, segments.slice(i + 1)));
      snippetDoc.contents = list;
      const next = appendToList(text, parent, snippetDoc.toString(options));
      if (next === undefined) return undefined;
      return isDeepStrictEqual(parseDocument(next).toJS(), expected) ? next : undefined;
    }
    if (!isMap(parent) || parent.flow === true) return undefined;
    const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    if (pair !== undefined) {
      parent = pair.value;
      continue;
    }
    const snippetDoc = new Document();
    const section = new YAMLMap(snippetDoc.schema);
    section.items.push(snippetDoc.createPair(key, build(snippetDoc, segments.slice(i + 1))));
    snippetDoc.contents = section;
    const snippet = snippetDoc.toString(options);
    const next = i === 0 ? appendSection(text, snippet) : insertInSection(text, parent, snippet);
    if (next === undefined) return undefined;
    return isDeepStrictEqual(parseDocument(next).toJS(), expected) ? next : undefined;
  }
  return undefined;
}

function appendSection(text: string, snippet: string): string {
  const body = text.endsWith("\n") ? text : `${text}\n`;
  return `${body}${snippet}`;
}

/** After the section's last entry and the comment lines that follow it at its indentation. */
function insertInSection(text: string, map: YAMLMap, snippet: string): string | undefined {
  const first = map.items[0];
  const last = map.items.at(-1);
  if (first === undefined || last === undefined || !isScalar(first.key)) return undefined;
  const keyStart = first.key.range?.[0];
  const end = (isScalar(last.value) || isMap(last.value) || isSeq(last.value) ? last.value : last.key) as
    | Node
    | undefined;
  const valueEnd = end?.range?.[1];
  if (keyStart === undefined || valueEnd === undefined) return undefined;
  const column = keyStart - (text.lastIndexOf("\n", keyStart - 1) + 1);
  return insertLines(text, valueEnd, column, snippet);
}

/** After the list's last item, at the column of its dashes. */
function appendToList(text: string, seq: YAMLSeq, snippet: string): string | undefined {
  const first = seq.items[0] as Node | undefined;
  const last = seq.items.at(-1) as Node | undefined;
  const itemStart = first?.range?.[0];
  const itemEnd = last?.range?.[1];
  if (itemStart === undefined || itemEnd === undefined) return undefined;
  const lineStart = text.lastIndexOf("\n", itemStart - 1) + 1;
  const dash = text.lastIndexOf("-", itemStart);
  if (dash < lineStart) return undefined;
  return insertLines(text, itemEnd, dash - lineStart, snippet);
}

/**
 * Inserts `snippet`, indented by `column`, on the line after `end` and after the comment
 * lines that follow at `column` or deeper (they close the section or list).
 */
function insertLines(text: string, end: number, column: number, snippet: string): string {
  let at = text[end - 1] === "\n" ? end : lineEnd(text, end);
  for (;;) {
    const line = text.slice(at, lineEnd(text, at));
    const indent = line.length - line.trimStart().length;
    if (line.trimStart().startsWith("#") && indent >= column && at < text.length) at = lineEnd(text, at);
    else break;
  }
  const pad = " ".repeat(column);
  const lines = snippet.replace(/\n$/, "").split("\n");
  const indented = `${lines.map((l) => (l === "" ? l : pad + l)).join("\n")}\n`;
  const head = text.slice(0, at);
  return `${head.endsWith("\n") || head === "" ? head : `${head}\n`}${indented}${text.slice(at)}`;
}

/** The offset just after the end of the line holding `from` (its newline included). */
function lineEnd(text: string, from: number): number {
  const nl = text.indexOf("\n", from);
  return nl < 0 ? text.length : nl + 1;
}
