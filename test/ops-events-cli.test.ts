import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Journal } from "../daemon/journal/journal.js";
import { waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { runCliInProcess } from "./cli-harness.js";
import { parseCsv } from "./csv-parse.js";
import { decision, OpsGate } from "./ops-fixture.js";

const HOUR = 3_600_000;

let gate: OpsGate;
let config: string;
let t0: number;
beforeEach(async () => {
  gate = new OpsGate();
  await gate.seed();
  config = gate.writeConfig();
  // Ten decisions an hour apart, the newest half an hour ago, with data that needs CSV quoting.
  t0 = Date.now() - 9.5 * HOUR;
  gate.appendDecisions(9, t0, HOUR);
  gate.appendDecisions(1, t0 + 9 * HOUR, 0, {
    result: "denied",
    reason: "anti_passback",
    data: { note: 'said "hi", left' },
  });
});
afterEach(() => gate.close());

const events = (...args: string[]) => runCliInProcess(["-c", config, "events", ...args]);

describe("passgate events", { timeout: 60_000 }, () => {
  it("tail: the newest entries as journal lines, or JSON lines", async () => {
    const text = await events("tail", "-n", "2");
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^#9 .* main-1 in {2}granted ok {8}cred 1001 p-1001 step 8 reader in rule=staff$/,
    );
    expect(lines[1]).toMatch(/^#10 .* denied {2}anti_passback/);
    const json = await events("tail", "-n", "3", "--json");
    expect(
      json.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).seq),
    ).toEqual([8, 9, 10]);
  });

  it("tail --follow prints entries appended after it started", async () => {
    let out = "";
    const before = new Set(process.listeners("SIGINT"));
    const cli = runCliInProcess(["-c", config, "events", "tail", "-n", "1", "--follow", "--json"], {
      onStdout: (text) => {
        out += text;
      },
    });
    try {
      await waitUntil(() => out.includes('"seq":10'), "the last entry", 30_000);
      const db = gate.open();
      Journal.open(db).append(decision(Date.now(), 99, { credential: "42", person: "p-0042" }));
      db.close();
      await waitUntil(() => out.includes('"step":99'), "the followed entry", 10_000);
      const lines = out.trim().split("\n");
      expect(lines.map((l) => JSON.parse(l).seq)).toEqual([10, 11]);
    } finally {
      // Ctrl-C: the command's own handler, called directly (emitting SIGINT would reach the test runner's too).
      for (const listener of process.listeners("SIGINT")) if (!before.has(listener)) listener("SIGINT");
      await cli;
    }
  });

  it("export CSV: header, RFC 4180 quoting, only the entries in the window", async () => {
    gate.appendDecisions(1, Date.now() - 600_000, 0, { person: "p-1001\r\nx" });
    const result = await events("export", "--since", "3h", "--format", "csv");
    expect(result.code).toBe(0);
    const rows = parseCsv(result.stdout);
    expect(rows[0]).toEqual([
      "seq",
      "id",
      "at",
      "kind",
      "gate",
      "reader",
      "direction",
      "credential",
      "person",
      "step",
      "result",
      "reason",
      "data",
      "prevHash",
      "hash",
    ]);
    // Entries at -2.5 h, -1.5 h, -0.5 h and -10 min.
    expect(rows.slice(1).map((r) => r[0])).toEqual(["8", "9", "10", "11"]);
    expect(JSON.parse(rows[3]?.[12] ?? "")).toEqual({ note: 'said "hi", left' });
    // A line break inside a value is written escaped: every record stays one line.
    expect(rows[4]?.[8]).toBe("p-1001\\x0d\\x0ax");
    expect(result.stdout.endsWith("\r\n")).toBe(true);
  });

  it("export CSV: times in the gate's zone, or UTC with --utc", async () => {
    const local = parseCsv((await events("export", "--since", "3h")).stdout);
    // The config's zone is Europe/Moscow.
    expect(local[1]?.[2]).toBe(new Date(t0 + 7 * HOUR + 3 * HOUR).toISOString().replace("Z", "+03:00"));
    const utc = parseCsv((await events("export", "--since", "3h", "--utc")).stdout);
    expect(utc[1]?.[2]).toBe(new Date(t0 + 7 * HOUR).toISOString());
  });

  it("export CSV for a spreadsheet set to Russian: ';', a BOM, and the people's names", async () => {
    gate.appendDecisions(1, Date.now() - 600_000, 0, { credential: "2001", person: "p-2001" });
    const result = await events("export", "--since", "1h", "--delimiter", ";", "--bom", "--names");
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith("\ufeffseq;id;at;")).toBe(true);
    const rows = parseCsv(result.stdout.slice(1), ";");
    expect(rows[0]?.slice(7, 11)).toEqual(["credential", "person", "name", "step"]);
    // -0.5 h: 1001, named in the example allowlist; -10 min: 2001, who has no display name.
    expect(rows.slice(1).map((r) => [r[7], r[9]])).toEqual([
      ["1001", "Иванова А. С."],
      ["2001", ""],
    ]);
    // A ';' inside a value is quoted; a ',' no longer needs to be.
    expect(JSON.parse(rows[1]?.[13] ?? "")).toEqual({ note: 'said "hi", left' });
    const json = await events("export", "--since", "1h", "--format", "json", "--names");
    expect(
      json.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).displayName),
    ).toEqual(["Иванова А. С.", null]);
    for (const bad of ["|", ";;", "\t"])
      expect((await events("export", "--since", "1h", "--delimiter", bad)).code, bad).toBe(2);
  });

  it("export JSON lines between two ISO times, to a file", async () => {
    const out = join(gate.dir, "events.jsonl");
    const since = new Date(t0 + 2 * HOUR).toISOString();
    const until = new Date(t0 + 5 * HOUR).toISOString();
    const result = await events(
      "export",
      "--since",
      since,
      "--until",
      until,
      "--format",
      "json",
      "--output",
      out,
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`wrote 3 events to ${out}\n`);
    const lines = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((e) => e.seq)).toEqual([3, 4, 5]);
  });

  it("streams a large export: 30 000 entries", async () => {
    const db = gate.open();
    const journal = Journal.open(db);
    const at = Date.now() - HOUR;
    db.transaction(() => {
      for (let i = 0; i < 30_000; i++) journal.append(decision(at, i));
    })();
    db.close();
    const out = join(gate.dir, "big.csv");
    const result = await events("export", "--since", "2h", "--output", out);
    expect(result.code).toBe(0);
    // 30 000 + the one at -0.5 h + the one at -1.5 h.
    expect(result.stderr).toBe(`wrote 30002 events to ${out}\n`);
    expect(readFileSync(out, "utf8").split("\r\n").length).toBe(30_002 + 2);
  });

  it("bad input: one line, exit 2", async () => {
    for (const args of [
      ["export", "--since", "yesterday"],
      ["export", "--since", "1h", "--format", "xml"],
      ["export", "--since", "1h", "--until", "2h"],
      ["export"],
      ["tail", "-n", "many"],
    ]) {
      const result = await events(...args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
    }
  });

  it("--help of both has examples", async () => {
    expect((await runCliInProcess(["events", "tail", "--help"])).stdout).toContain(
      "Examples:\n  passgate events tail",
    );
    expect((await runCliInProcess(["events", "export", "--help"])).stdout).toContain(
      "Examples:\n  passgate events export --since 24h",
    );
  });
});
