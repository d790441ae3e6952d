import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { putLine, registryCredential, signedBody } from "../daemon/allowlist/testing/test-bodies.js";
import { SyncStateStore } from "../sync/sync-state.js";
import { runCliInProcess } from "./cli-harness.js";
import { parseCsv } from "./csv-parse.js";
import { OpsGate } from "./ops-fixture.js";

/** Clears the screen, then moves the cursor home: what a hostile registry could send as a person id. */
const CLEAR = "\u001b[2J\u001b[H";
/** An OSC 8 hyperlink: the terminal shows "click" and opens another address. */
const LINK = "\u001b]8;;http://evil.example/\u0007click\u001b]8;;\u0007";
/** The 8-bit CSI (C1) that JSON.stringify leaves raw, and a newline that would forge a line. */
const C1_AND_NEWLINE = "\u009b31mred\nforged: granted";

/** Anything a terminal would act on: C0 controls (but the newlines the command prints itself), DEL, C1. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const TERMINAL_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

let gate: OpsGate;
let config: string;
beforeEach(async () => {
  gate = new OpsGate();
  await gate.seed();
  // The registry sends a delta whose credential 3001 carries escape sequences in its text.
  await gate.applyBody(
    signedBody({ kind: "delta", from: 7, to: 8 }, [
      putLine(
        registryCredential(3001, {
          person: `p-3001${CLEAR}`,
          displayName: LINK,
          roles: [`staff${C1_AND_NEWLINE}`],
          zones: ["main"],
        }),
      ),
    ]),
  );
  config = gate.writeConfig();
});
afterEach(() => gate.close());

const cli = (...args: string[]) => runCliInProcess(["-c", config, ...args]);

describe("data from the registry cannot be turned against the reader", { timeout: 60_000 }, () => {
  it("identity lookup prints a person id and name with escape sequences escaped, into a pipe", async () => {
    for (const what of ["3001", `p-3001${CLEAR}`]) {
      const result = await cli("identity", "lookup", what);
      expect(result.code, what).toBe(0);
      expect(result.stdout).not.toMatch(TERMINAL_CONTROL);
      expect(result.stdout).toContain("  person     p-3001\\x1b[2J\\x1b[H\n");
      expect(result.stdout).toContain("  name       \\x1b]8;;http://evil.example/\\x07click\\x1b]8;;\\x07\n");
      // The newline in a role is escaped too: no line of the output starts with "forged".
      expect(result.stdout).toContain("  roles      staff\\x9b31mred\\x0aforged: granted\n");
      expect(result.stdout).not.toMatch(/^forged/m);
    }
    const missing = await cli("identity", "lookup", `nobody${CLEAR}`);
    expect(missing.code).toBe(1);
    expect(missing.stdout).not.toMatch(TERMINAL_CONTROL);
  });

  it("allowlist show escapes them too; --json stays valid JSON with the values whole", async () => {
    const text = await cli("allowlist", "show", "3001");
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(text.stdout).toContain("p-3001\\x1b[2J\\x1b[H");
    expect(text.stdout).not.toMatch(/^forged/m);

    const json = await cli("allowlist", "show", "3001", "--json");
    expect(json.code).toBe(0);
    // JSON.stringify leaves DEL and C1 (U+009B, an 8-bit CSI) raw: the output escapes them as well.
    expect(json.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(JSON.parse(json.stdout)).toMatchObject({
      person: `p-3001${CLEAR}`,
      displayName: LINK,
      roles: [`staff${C1_AND_NEWLINE}`],
    });
    const lookup = await cli("identity", "lookup", "3001", "--json");
    expect(lookup.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(JSON.parse(lookup.stdout).credentials[0].displayName).toBe(LINK);
  });

  it("events and journal lines print a journaled person id escaped", async () => {
    gate.appendDecisions(1, Date.now() - 1000, 0, { credential: "3001", person: `p-3001${CLEAR}` });
    for (const args of [
      ["events", "tail", "-n", "1"],
      ["journal", "tail", "-n", "1"],
      ["events", "tail", "-n", "1", "--json"],
      ["status"],
    ]) {
      const result = await cli(...args);
      expect(result.code, args.join(" ")).toBe(0);
      expect(result.stdout, args.join(" ")).not.toMatch(TERMINAL_CONTROL);
      expect(result.stdout, args.join(" ")).toContain("p-3001\\u001b[2J\\u001b[H");
    }
  });

  it("sync status and status print the registry's error message escaped, times in the gate's zone", async () => {
    const db = gate.open();
    const state = SyncStateStore.open(db);
    const at = Date.parse("2026-11-24T09:00:00Z");
    state.recordFailure("https://registry.example", at, {
      code: "http_500",
      message: `registry said: ${CLEAR}all is well\nlast success: now`,
    });
    state.recordUploadError(`upload: ${LINK}`);
    db.close();
    config = gate.writeConfig(
      "registry:\n  url: https://registry.example\n  trustedKeys: { k: PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw }\n",
    );
    for (const args of [["sync", "status"], ["status"]]) {
      const result = await cli(...args);
      expect(result.stdout, args.join(" ")).not.toMatch(TERMINAL_CONTROL);
      expect(result.stdout, args.join(" ")).toContain(
        "registry said: \\x1b[2J\\x1b[Hall is well\\x0alast success: now",
      );
      expect(result.stdout, args.join(" ")).not.toMatch(/^last success: now/m);
    }
    const text = (await cli("sync", "status")).stdout;
    expect(text).toContain("(last upload error: upload: \\x1b]8;;http://evil.example/\\x07click");
    const json = await cli("sync", "status", "--json");
    expect(json.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(JSON.parse(json.stdout).lastError).toBe(`registry said: ${CLEAR}all is well\nlast success: now`);
  });

  it("events export CSV: formulas neutralised with a leading ', control characters escaped", async () => {
    const hostile = [
      '=HYPERLINK("http://x","y")',
      "+cmd|' /C calc'!A0",
      "-1+1",
      "@SUM(1)",
      "\t=1+1",
      "\r=1+1",
      `p-3001${CLEAR}`,
    ];
    const at = Date.now() - 60_000;
    hostile.forEach((person, i) => {
      gate.appendDecisions(1, at + i, 0, { credential: "3001", person, reason: i === 0 ? "=1+1" : "ok" });
    });
    const result = await cli("events", "export", "--since", "1h", "--names");
    expect(result.code).toBe(0);
    expect(result.stdout.replaceAll("\r\n", "")).not.toMatch(TERMINAL_CONTROL);
    const rows = parseCsv(result.stdout);
    expect(rows).toHaveLength(1 + hostile.length);
    expect(rows.slice(1).map((r) => r[8])).toEqual([
      `'=HYPERLINK("http://x","y")`,
      "'+cmd|' /C calc'!A0",
      "'-1+1",
      "'@SUM(1)",
      "'\\x09=1+1",
      "'\\x0d=1+1",
      "p-3001\\x1b[2J\\x1b[H",
    ]);
    expect(rows[1]?.[12]).toBe("'=1+1");
    // The display name from the registry (--names) goes through the same cell rules.
    expect(rows[1]?.[9]).toBe("\\x1b]8;;http://evil.example/\\x07click\\x1b]8;;\\x07");
    // No cell of any row starts with a formula character.
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });
});
