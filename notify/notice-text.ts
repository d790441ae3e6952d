/**
 * The words of a notice, in Russian, as a guardian reads them in a mail or a messenger:
 * "Петя: проход через ворота main-1 (вход) в 08:12". Pure: the time zone is given.
 */

/** What a notice says: the passage, with the child's name as the gate sent it (if any). */
export interface NoticeFacts {
  readonly name?: string | undefined;
  readonly gate: string;
  readonly direction: "in" | "out";
  /** Epoch ms of the passage. */
  readonly at: number;
}

const DIRECTION_RU = { in: "вход", out: "выход" } as const;

/** Said instead of a name when the gate sent none. */
export const NO_NAME = "ваш ребёнок";

/**
 * Control characters (C0 with newline, DEL, C1), the Unicode line and paragraph separators
 * and the bidirectional overrides and isolates, which could reorder what a guardian reads
 * ("вход" shown where "выход" is meant) or break a mail's header onto a line of its own.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A name from outside, cleaned for a line of text: unsafe characters removed, spaces collapsed. */
export function cleanName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const cleaned = name.replace(UNSAFE, " ").replace(/\s+/g, " ").trim();
  return cleaned === "" ? undefined : cleaned;
}

/** "08:12" in `timeZone`. */
export function localTime(at: number, timeZone: string): string {
  return new Intl.DateTimeFormat("ru-RU", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(at);
}

/** "01.12.2026" in `timeZone`. */
export function localDate(at: number, timeZone: string): string {
  return new Intl.DateTimeFormat("ru-RU", {
    timeZone,
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
  }).format(at);
}

/** The one line of a notice: "Петя: проход через ворота main-1 (вход) в 08:12". */
export function noticeLine(facts: NoticeFacts, timeZone: string): string {
  const who = cleanName(facts.name) ?? NO_NAME;
  const sentence = `${who}: проход через ворота ${facts.gate} (${DIRECTION_RU[facts.direction]}) в ${localTime(facts.at, timeZone)}`;
  // The gate's name starts the sentence when no name does; capitalised as a sentence should be.
  return sentence.charAt(0).toLocaleUpperCase("ru-RU") + sentence.slice(1);
}

/** The subject of the mail: "Проход: Петя, ворота main-1 (вход), 08:12". */
export function noticeSubject(facts: NoticeFacts, timeZone: string): string {
  const who = cleanName(facts.name) ?? NO_NAME;
  return `Проход: ${who}, ворота ${facts.gate} (${DIRECTION_RU[facts.direction]}), ${localTime(facts.at, timeZone)}`;
}

/** The mail's plain text: the line, the date (a notice may arrive late), and why it came. */
export function noticeMailText(facts: NoticeFacts, timeZone: string): string {
  return [
    `${noticeLine(facts, timeZone)}.`,
    `Дата: ${localDate(facts.at, timeZone)}.`,
    "",
    "Вы получили это письмо, потому что дали согласие на уведомления о проходах ребёнка.",
    "Чтобы отказаться от уведомлений, обратитесь в администрацию.",
    "",
  ].join("\n");
}

/** `text` with the five characters that mean something in HTML written as entities. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The mail's HTML: the same words, every one escaped, no link or image. */
export function noticeMailHtml(facts: NoticeFacts, timeZone: string): string {
  const paragraphs = noticeMailText(facts, timeZone)
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => `<p>${escapeHtml(line)}</p>`);
  return `<!doctype html><html lang="ru"><body>${paragraphs.join("")}</body></html>`;
}
