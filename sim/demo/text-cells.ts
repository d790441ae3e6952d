/** A piece of a terminal line with an optional style; styles become ANSI SGR codes only when colour is on. */
export interface Cell {
  readonly text: string;
  readonly style?: Style;
}

export type Style = "green" | "red" | "yellow" | "cyan" | "dim" | "bold" | "alarm";

const SGR: Record<Style, string> = {
  green: "32",
  red: "31",
  yellow: "33",
  cyan: "36",
  dim: "2",
  bold: "1",
  alarm: "1;97;41",
};

/**
 * Removes control characters (C0, DEL, C1), so a name or an error text from the network
 * can never move the cursor or recolour the terminal.
 */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
}

/** `text` cut or padded to exactly `width` characters; a cut ends in "…". */
export function fitText(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text + " ".repeat(width - chars.length);
  return width <= 0 ? "" : `${chars.slice(0, width - 1).join("")}…`;
}

/**
 * Joins cells into one line of at most `width` visible characters (a longer line is cut
 * with "…"), adding ANSI colour only when `color` is true. Width counts code points:
 * the demo's names are Latin and Cyrillic, one column each.
 */
export function renderCells(cells: readonly Cell[], width: number, color: boolean): string {
  let left = width;
  let out = "";
  for (const [i, cell] of cells.entries()) {
    if (left <= 0) break;
    const chars = [...printable(cell.text)];
    const isLast = i === cells.length - 1;
    let text = chars.join("");
    if (chars.length > left || (chars.length === left && !isLast && hasVisibleAfter(cells, i))) {
      text = `${chars.slice(0, Math.max(0, left - 1)).join("")}…`;
    }
    left -= [...text].length;
    out += color && cell.style !== undefined && text !== "" ? `\x1b[${SGR[cell.style]}m${text}\x1b[0m` : text;
  }
  return color ? out : out.trimEnd();
}

function hasVisibleAfter(cells: readonly Cell[], index: number): boolean {
  return cells.slice(index + 1).some((c) => c.text.trim() !== "");
}

/** A rendered line without its ANSI sequences. */
export function stripAnsi(line: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI sequences start with ESC
  return line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
}

/** Visible length of a rendered line (ANSI codes removed). */
export function visibleLength(line: string): number {
  return [...stripAnsi(line)].length;
}
