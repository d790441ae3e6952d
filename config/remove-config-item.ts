import { isMap, isScalar, isSeq, parseDocument } from "yaml";
import { writeFileAtomically } from "./atomic-write.js";
import { unknownPath } from "./config-error.js";
import { ConfigError, checkConfigText, readConfigFile } from "./load-config.js";
import { renderOptions } from "./yaml-edit.js";
import { removeListItemLines } from "./yaml-remove.js";

/**
 * Removes the item with `id` from the top-level list `list` (readers, relays), keeping
 * the rest of the file as it was (its lines are deleted; yaml-remove.ts). Like `setConfigValue`, the result is validated
 * before it is written and the edit is refused (file untouched, ConfigError listing the
 * problems) when it would leave the config invalid, e.g. a relay naming a removed reader.
 */
export function removeConfigListItem(file: string, list: "readers" | "relays", id: string): void {
  const text = readConfigFile(file);
  const doc = parseDocument(text);
  const seq = doc.get(list);
  const index = isSeq(seq)
    ? seq.items.findIndex((item) => {
        if (!isMap(item)) return false;
        const value = item.get("id", true);
        return isScalar(value) && String(value.value) === id;
      })
    : -1;
  if (!isSeq(seq) || index < 0) {
    throw unknownPath(`${list}`, `no ${list.slice(0, -1)} "${id}" in the config`, file);
  }
  seq.items.splice(index, 1);
  // The text route needs the list as parsed, with its source ranges: a second, untouched parse.
  const parsed = parseDocument(text).get(list);
  const next =
    (isSeq(parsed) ? removeListItemLines(text, parsed, index, doc.toJS()) : undefined) ??
    doc.toString(renderOptions(text));
  const checked = checkConfigText(next, file);
  if (!checked.ok) {
    throw new ConfigError(
      "CONFIG_INVALID",
      file,
      checked.error.issues,
      `refused to remove ${list.slice(0, -1)} ${id}; the file is unchanged`,
    );
  }
  writeFileAtomically(file, next);
}
