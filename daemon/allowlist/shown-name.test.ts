import { describe, expect, it } from "vitest";
import { SHOWN_NAME_MAX, shownName } from "./shown-name.js";

describe("shownName: a display name as a guard's screen and a guardian's mail show it", () => {
  it.each([
    ["absent", undefined, undefined],
    ["plain Cyrillic", "Иванова А. С.", "Иванова А. С."],
    ["escape sequences and a bell lose their control characters", "\u001b[2JАнна\u0007", "[2JАнна"],
    ["bidi overrides and zero-width characters go", "Анна\u202eавортеП\u200b", "АннаавортеП"],
    ["newlines cannot forge a second line", "Анна\nGRANTED p-1", "АннаGRANTED p-1"],
    ["only control characters: no name", "\u0000\u001f\u007f\u0085", undefined],
    ["blank: no name", "   ", undefined],
  ])("%s", (_what, raw, shown) => {
    expect(shownName(raw)).toBe(shown);
  });

  it("cuts at 80 UTF-16 units, never through a surrogate pair", () => {
    expect(shownName("я".repeat(200))).toBe("я".repeat(SHOWN_NAME_MAX));
    // 79 letters then an emoji (two units): the emoji would be split, so it goes whole.
    expect(shownName(`${"a".repeat(79)}😀tail`)).toBe("a".repeat(79));
  });
});
