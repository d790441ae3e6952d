import { describe, expect, it } from "vitest";
import { cleanName, noticeLine, noticeMailHtml, noticeMailText, noticeSubject } from "./notice-text.js";

/** 05:12 UTC on 1 December 2026: 08:12 in Moscow, 10:12 in Yekaterinburg. */
const AT = Date.UTC(2026, 11, 1, 5, 12, 59);

describe("the words of a notice", () => {
  it("says who passed which gate, which way, at the local time of the configured zone", () => {
    const facts = { name: "Петя", gate: "main-1", direction: "in" as const, at: AT };
    expect(noticeLine(facts, "Europe/Moscow")).toBe("Петя: проход через ворота main-1 (вход) в 08:12");
    expect(noticeLine(facts, "Asia/Yekaterinburg")).toBe("Петя: проход через ворота main-1 (вход) в 10:12");
    expect(noticeLine({ ...facts, direction: "out" }, "Europe/Moscow")).toBe(
      "Петя: проход через ворота main-1 (выход) в 08:12",
    );
    expect(noticeSubject(facts, "Europe/Moscow")).toBe("Проход: Петя, ворота main-1 (вход), 08:12");
    expect(noticeMailText(facts, "Europe/Moscow")).toContain("Дата: 01.12.2026.");
  });

  it('says "ваш ребёнок" when the gate sent no name, or nothing of it is left once cleaned', () => {
    const facts = { gate: "side-2", direction: "out" as const, at: AT };
    expect(noticeLine(facts, "Europe/Moscow")).toBe(
      "Ваш ребёнок: проход через ворота side-2 (выход) в 08:12",
    );
    expect(noticeLine({ ...facts, name: "\u0007\u202e " }, "Europe/Moscow")).toMatch(/^Ваш ребёнок: /);
    expect(noticeSubject(facts, "Europe/Moscow")).toBe("Проход: ваш ребёнок, ворота side-2 (выход), 08:12");
  });

  it("removes control, line-breaking and bidi characters from a name and escapes it in HTML", () => {
    expect(cleanName("Петя\r\nBcc: x@y\u001b[31m\u2028\u202eя")).toBe("Петя Bcc: x@y [31m я");
    const html = noticeMailHtml(
      { name: `<script>"&'`, gate: "main-1", direction: "in", at: AT },
      "Europe/Moscow",
    );
    expect(html).toContain(
      "<p>&#60;script&#62;&#34;&#38;&#39;: проход через ворота main-1 (вход) в 08:12.</p>",
    );
    expect(html).not.toContain("<script>");
  });
});
