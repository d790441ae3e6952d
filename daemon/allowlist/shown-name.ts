/** Longest name an event or a guardian notice carries, in UTF-16 units. */
export const SHOWN_NAME_MAX = 80;

/** Control (Cc) and format (Cf: bidi overrides, zero-width) characters. */
const UNSHOWABLE = /[\p{Cc}\p{Cf}]/gu;

/**
 * A credential's display name as events and guardian notices carry it: control and format
 * characters removed (a name is shown on a guard's screen and in mail, where they could
 * reorder or hide text), trimmed, cut to `SHOWN_NAME_MAX` (80) UTF-16 units without
 * splitting a surrogate pair. Undefined when nothing is left.
 */
export function shownName(displayName: string | undefined): string | undefined {
  if (displayName === undefined) return undefined;
  const clean = displayName.replace(UNSHOWABLE, "").trim();
  if (clean === "") return undefined;
  if (clean.length <= SHOWN_NAME_MAX) return clean;
  let cut = clean.slice(0, SHOWN_NAME_MAX);
  // A high surrogate left alone at the end would be half a character.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut.trimEnd();
}
