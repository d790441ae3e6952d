import { isDeepStrictEqual } from "node:util";
import { type Node, parseDocument, type YAMLSeq } from "yaml";

/**
 * Removes item `index` of a block list by deleting its lines as text, so the rest of the
 * file stays byte for byte (yaml-insert.ts says why a full render is avoided). Undefined
 * when the item does not start a line of its own (`- ` then the item) or the result would
 * not read back as `expected`: the caller then renders the document.
 */
export function removeListItemLines(
  text: string,
  seq: YAMLSeq,
  index: number,
  expected: unknown,
): string | undefined {
  if (seq.flow === true) return undefined;
  const item = seq.items[index] as Node | undefined;
  const start = item?.range?.[0];
  const end = item?.range?.[1];
  if (start === undefined || end === undefined) return undefined;
  const lineStart = text.lastIndexOf("\n", start - 1) + 1;
  if (!/^\s*-\s+$/.test(text.slice(lineStart, start))) return undefined;
  const nl = text.indexOf("\n", end - 1);
  const after = text[end - 1] === "\n" ? end : nl < 0 ? text.length : nl + 1;
  const next = text.slice(0, lineStart) + text.slice(after);
  return isDeepStrictEqual(parseDocument(next).toJS(), expected) ? next : undefined;
}
