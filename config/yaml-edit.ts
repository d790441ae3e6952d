import {
  Composer,
  CST,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  Parser,
  parse,
  parseDocument,
  Scalar,
  type ToStringOptions,
  YAMLMap,
  YAMLSeq,
} from "yaml";
import { unknownPath } from "./config-error.js";
import { formatDotPath } from "./load-config.js";
import { insertMissingKey } from "./yaml-insert.js";

export function editYamlText(
  text: string,
  segments: readonly string[],
  value: unknown,
  file: string,
): string {
  return replaceScalarInPlace(text, segments, value) ?? setInDocument(text, segments, value, file);
}

type ScalarValue = string | number | boolean | null;

function isScalarValue(value: unknown): value is ScalarValue {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

/**
 * Rewrites only the source token of an existing scalar (yaml's CST), so the rest of the
 * file stays byte for byte. Undefined when that is not possible: the key is absent, it
 * holds a list or section, or the new value is one.
 */
function replaceScalarInPlace(text: string, segments: readonly string[], value: unknown): string | undefined {
  if (!isScalarValue(value)) return undefined;
  const tokens = Array.from(new Parser().parse(text));
  const docs = Array.from(new Composer({ keepSourceTokens: true }).compose(tokens));
  const [doc] = docs;
  if (doc === undefined || docs.length !== 1) return undefined;
  const found = findNode(doc, segments);
  if (found === undefined || !isScalar(found.node)) return undefined;
  const { node, afterKey, inFlow } = found;
  if (node.srcToken === undefined) return undefined;
  CST.setScalarValue(node.srcToken, value === null ? "null" : String(value), {
    afterKey,
    inFlow,
    type: scalarType(value, node),
  });
  const next = tokens.map((token) => CST.stringify(token)).join("");
  // The CST knows no types: make sure the text reads back as the value (e.g. that the
  // string "true" was not written bare); otherwise take the slower, always-right route.
  const reread = parseDocument(next);
  return reread.errors.length === 0 && Object.is(reread.getIn(segments), value) ? next : undefined;
}

/** Keeps the scalar's quoting where it can; a string that would read as something else is quoted. */
function scalarType(value: ScalarValue, old: Scalar): Scalar.Type {
  if (typeof value !== "string") return Scalar.PLAIN;
  if (old.type === Scalar.QUOTE_DOUBLE || old.type === Scalar.QUOTE_SINGLE) return old.type;
  if (old.type === Scalar.BLOCK_LITERAL && value.includes("\n")) return old.type;
  return readsBackPlain(value) ? Scalar.PLAIN : Scalar.QUOTE_DOUBLE;
}

function readsBackPlain(value: string): boolean {
  try {
    return parse(value) === value;
  } catch {
    // Not even valid YAML when written bare, so it has to be quoted.
    return false;
  }
}

function findNode(
  doc: Document,
  segments: readonly string[],
): { node: unknown; afterKey: boolean; inFlow: boolean } | undefined {
  let node: unknown = doc.contents;
  let afterKey = false;
  let inFlow = false;
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = findPair(node, segment);
      if (pair === undefined) return undefined;
      inFlow ||= node.flow === true;
      afterKey = !inFlow;
      node = pair.value;
    } else if (isSeq(node) && /^\d+$/.test(segment)) {
      inFlow ||= node.flow === true;
      afterKey = false;
      node = node.items[Number(segment)];
      if (node === undefined) return undefined;
    } else {
      return undefined;
    }
  }
  return { node, afterKey, inFlow };
}

/** Keys are compared as text, so `2026:` (read by YAML as a number) matches "2026". */
function findPair(map: YAMLMap, key: string) {
  return map.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === key);
}

/**
 * Sets the value through the yaml Document (comments are kept on the nodes), creating
 * the sections and list items on the way. A key that is new is inserted as text
 * (yaml-insert.ts), leaving the rest of the file as it was; anything else renders the
 * whole document in the file's own indentation. A list item can be replaced or appended (index = length), no further.
 */
function setInDocument(text: string, segments: readonly string[], value: unknown, file: string): string {
  const doc = parseDocument(text);
  const path = formatDotPath(segments);
  const buildIn = (target: Document, rest: readonly string[]): Node =>
    rest.reduceRight<Node>(
      (inner, key) => {
        if (/^\d+$/.test(key)) {
          if (key !== "0") throw unknownPath(path, `a new list starts at index 0, not ${key}`, file);
          const seq = new YAMLSeq(target.schema);
          seq.items.push(inner);
          return seq;
        }
        const map = new YAMLMap(target.schema);
        map.items.push(target.createPair(key, inner));
        return map;
      },
      typeof value === "object" && value !== null
        ? target.createNode(value, { flow: true })
        : target.createNode(value),
    );
  const build = (rest: readonly string[]): Node => buildIn(doc, rest);

  // An empty file could only become valid by setting site, gate and timezone at once.
  if (!isMap(doc.contents)) {
    throw unknownPath(path, "the file holds no settings; start from config/example.yaml", file);
  }
  let parent: unknown = doc.contents;
  for (const [i, key] of segments.entries()) {
    const rest = segments.slice(i + 1);
    const last = rest.length === 0;
    if (isMap(parent)) {
      const pair = findPair(parent, key);
      if (pair === undefined) {
        parent.items.push(doc.createPair(key, build(rest)));
        break;
      }
      if (last && isScalar(pair.value) && isScalarValue(value)) {
        pair.value.value = value; // keeps the value's own comment
        break;
      }
      if (last || (isScalar(pair.value) && pair.value.value === null)) {
        pair.value = build(rest);
        break;
      }
      parent = pair.value;
    } else if (isSeq(parent) && /^\d+$/.test(key)) {
      const index = Number(key);
      if (index > parent.items.length) {
        throw unknownPath(
          path,
          `the list has ${parent.items.length} items: use index ${parent.items.length} to add one`,
          file,
        );
      }
      if (index === parent.items.length || last) {
        parent.items[index] = build(rest);
        break;
      }
      parent = parent.items[index];
    } else {
      const at = formatDotPath(segments.slice(0, i));
      const why = isAlias(parent)
        ? "is an alias (*name): edit the anchored original"
        : "holds a single value";
      throw unknownPath(path, `${at} ${why}, so ${key} cannot be set under it`, file);
    }
  }
  const options = renderOptions(text);
  return insertMissingKey(text, segments, buildIn, options, doc.toJS()) ?? doc.toString(options);
}

/** Render options that follow how the file is already written, to keep the diff small. */
export function renderOptions(text: string): ToStringOptions {
  const lines = text.split("\n").filter((line) => line.trim() !== "" && !line.trimStart().startsWith("#"));
  const indents = lines.map((line) => line.length - line.trimStart().length).filter((n) => n > 0);
  let indentSeq = true;
  for (const [i, line] of lines.entries()) {
    const next = lines[i + 1];
    if (/:\s*$/.test(line) && next !== undefined && /^\s*- /.test(next)) {
      indentSeq = next.length - next.trimStart().length > line.length - line.trimStart().length;
      break;
    }
  }
  return {
    indent: indents.length > 0 ? Math.min(...indents) : 2,
    indentSeq,
    lineWidth: 0,
    flowCollectionPadding: lines.some((line) => /[[{] [^\s\]}]/.test(line)),
  };
}

/** Temp file in the same directory, fsync, rename: a power cut leaves the old or the new file. */
