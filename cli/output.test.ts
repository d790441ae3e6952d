import { describe, expect, it } from "vitest";
import { examples, palette, useColour } from "./output.js";

describe("useColour", () => {
  it.each([
    [true, {}, true],
    [true, { NO_COLOR: "1" }, false],
    [true, { NO_COLOR: "" }, true],
    [false, {}, false],
    [undefined, {}, false],
  ] as const)("a stream with isTTY %s and env %j: %s", (isTTY, env, expected) => {
    expect(useColour(isTTY === undefined ? {} : { isTTY }, env)).toBe(expected);
  });
});

describe("palette", () => {
  it("wraps text in SGR codes on a terminal and leaves it alone elsewhere", () => {
    expect(palette({ isTTY: true }, {}).fail("FAIL")).toBe("\u001b[31mFAIL\u001b[39m");
    expect(palette({ isTTY: true }, { NO_COLOR: "1" }).fail("FAIL")).toBe("FAIL");
    expect(palette({ isTTY: false }, {}).ok("OK")).toBe("OK");
  });
});

describe("examples", () => {
  it("formats the Examples: block commander prints after the options", () => {
    expect(examples("passgate status", "passgate status --json  # for scripts")).toBe(
      "\nExamples:\n  passgate status\n  passgate status --json  # for scripts",
    );
  });
});
