import {
  chmodSync,
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getConfigValue, parseDotPath, setConfigValue } from "./edit-config.js";
import { ConfigError, loadConfig } from "./load-config.js";

const EXAMPLE = new URL("./example.yaml", import.meta.url).pathname;

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "passgate-edit-"));
  file = join(dir, "passgate.yaml");
  copyFileSync(EXAMPLE, file);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const read = (): string => readFileSync(file, "utf8");

/** Lines of `after` that differ from `before`, for files of equal line count. */
function changedLines(before: string, after: string): { line: number; before?: string; after?: string }[] {
  const a = before.split("\n");
  const b = after.split("\n");
  expect(b.length).toBe(a.length);
  return a.flatMap((text, i) => (text === b[i] ? [] : [{ line: i + 1, before: text, after: b[i] }]));
}

/** `after` is `before` with `added` lines inserted and nothing else changed. */
function expectOnlyInserted(before: string, after: string, added: string[]): void {
  const b = after.split("\n");
  const start = b.indexOf(added[0] ?? "");
  expect(start, after).toBeGreaterThanOrEqual(0);
  expect(b.slice(start, start + added.length)).toEqual(added);
  b.splice(start, added.length);
  expect(b.join("\n")).toBe(before);
}

function refusal(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("parseDotPath", () => {
  it.each([
    ["readers.0.id", ["readers", "0", "id"]],
    ["readers[0].id", ["readers", "0", "id"]],
    ['policy.schedules["office.hours"].0', ["policy", "schedules", "office.hours", "0"]],
    ["", []],
  ])("%s", (path, segments) => {
    expect(parseDotPath(path)).toEqual(segments);
  });

  it("refuses a malformed path", () => {
    expect(() => parseDotPath("policy..zone")).toThrow(/cannot read the path at "..zone"/);
  });
});

describe("getConfigValue", () => {
  it.each([
    ["site", "demo-campus"],
    ["readers.0.id", "in"],
    ["policy.rules.1.roles", ["staff"]],
    ["policy.rules.0.directions", ["in", "out"]], // a default inside a list item
    ["policy.mode", "normal"],
    ["policy.lockout.within", 600_000], // durations in ms, as the daemon uses them
    ["storage.synchronous", "normal"],
    ["policy.schedules.lectures.1.days", ["sat"]],
    ["registry.trustedKeys.test-2026", "PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw"],
    ["policy.lockout", { attempts: 5, within: 600_000, lockFor: 900_000 }],
  ])("%s", (path, expected) => {
    expect(getConfigValue(file, path)).toEqual(expected);
  });

  it("gives defaults for keys the file leaves out", () => {
    writeFileSync(file, "site: s\ngate: g\ntimezone: UTC\n");
    expect(getConfigValue(file, "policy.antiPassback.window")).toBe(300_000);
    expect(getConfigValue(file, "log.level")).toBe("info");
    expect(getConfigValue(file, "storage.path")).toBe(join(dir, "var/passgate.db"));
  });

  it("is undefined for a known key that is not set", () => {
    expect(getConfigValue(file, "mqtt.url")).toBeUndefined();
    expect(getConfigValue(file, "policy.rules.1.schedule")).toBeUndefined();
  });

  it.each([
    [
      "policy.lockout.atempts",
      /no key "atempts" in policy.lockout \(did you mean "attempts"\?\); it has: attempts, within, lockFor/,
    ],
    ["bogus", /no key "bogus" at the top level; it has: site, gate/],
    ["readers.3.id", /readers has 1 item, numbered from 0/],
    ["site.name", /no key "name" in site: site holds a single value/],
    ["readers.first.id", /readers is a list: give an item's index \(0, 1, …\), not "first"/],
  ])("refuses the unknown path %s", (path, message) => {
    const err = refusal(() => getConfigValue(file, path));
    expect(err.code).toBe("CONFIG_UNKNOWN_PATH");
    expect(err.issues[0]?.message).toMatch(message);
  });
});

describe("setConfigValue", () => {
  it("changes only the value's line, keeping every comment byte for byte", () => {
    const before = read();
    const comment = "    # Bad tokens that lock the credential out, 0 to 1000; 0 turns lockout off.";
    expect(before).toContain(comment);

    expect(setConfigValue(file, "policy.lockout.attempts", "8")).toEqual({ value: 8, remainingIssues: [] });

    const after = read();
    expect(after).toContain(comment);
    expect(changedLines(before, after)).toEqual([
      { line: expect.any(Number), before: "    attempts: 5", after: "    attempts: 8" },
    ]);
    expect(loadConfig(file).policy.lockout.attempts).toBe(8);
  });

  it.each([
    ["timezone", "Europe/Berlin", "timezone: Europe/Berlin", "Europe/Berlin"],
    ["policy.lockout.within", "5m", "    within: 5m", 300_000],
    ["policy.schedules.lectures.0.from", "08:00", '        from: "08:00"', "08:00"], // keeps the quotes
    ["policy.schedules.lectures.1.days", "[sat, sun]", "      - days: [sat, sun]", ["sat", "sun"]],
    [
      "registry.url",
      "https://registry.example.edu",
      "  url: https://registry.example.edu",
      "https://registry.example.edu",
    ],
  ])("sets %s to %s in place", (path, raw, line, effective) => {
    const before = read();
    setConfigValue(file, path, raw);
    const changed = changedLines(before, read());
    expect(changed.map((c) => c.after)).toEqual([line]);
    expect(getConfigValue(file, path)).toEqual(effective);
  });

  it("quotes a string that would otherwise read as another type", () => {
    setConfigValue(file, "gate", '"1"');
    expect(read()).toMatch(/^gate: "1"$/m);
    expect(loadConfig(file).gate).toBe("1");
  });

  it.each([
    [
      "a bad enum",
      "policy.antiPassback.mode",
      "strict",
      /expected one of off, hard, soft, timed \(got "strict"\)/,
    ],
    ["a bad duration", "policy.lockout.within", "10 minutes", /expected a duration/],
    ["a wrong type", "token.window", "many", /expected a number, got a string/],
    [
      "a misspelt new key",
      "policy.antiPassback.windw",
      "5m",
      /unknown key "windw" \(check spelling: did you mean "window"\?\)/,
    ],
    ["a schedule that does not exist", "policy.rules.0.schedule", "evenings", /unknown schedule "evenings"/],
    ["an out-of-range number", "token.window", "11", /expected 10 or less \(got 11\)/],
  ])("refuses %s, leaving the file byte-identical", (_name, path, raw, message) => {
    const before = read();
    const err = refusal(() => setConfigValue(file, path, raw));
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.summary).toMatch(/^refused to set .*; the file is unchanged$/);
    expect(err.issues.map((i) => i.message).join("\n")).toMatch(message);
    expect(err.issues[0]?.line).toBeGreaterThan(0);
    expect(read()).toBe(before);
    expect(readdirSync(dir)).toEqual(["passgate.yaml"]);
  });

  it("takes text that YAML would read as a block mapping as a string", () => {
    setConfigValue(file, "mqtt.url", "mqtt://127.0.0.1:1883");
    expect(setConfigValue(file, "mqtt.username", "gate user: one").value).toBe("gate user: one");
    expect(read()).toContain('  username: "gate user: one"\n');
  });

  it("refuses a value that is not valid YAML", () => {
    const before = read();
    const err = refusal(() => setConfigValue(file, "policy.rules.0.roles", "[student"));
    expect(err.issues[0]?.message).toMatch(/^cannot read the value as YAML/);
    expect(read()).toBe(before);
  });

  it("creates a key that is not there yet", () => {
    const before = read();
    setConfigValue(file, "policy.rules.1.directions", "[in]");
    expectOnlyInserted(before, read(), ["      directions: [in]"]);
    expect(getConfigValue(file, "policy.rules.1.directions")).toEqual(["in"]);
  });

  it("creates a missing section with the key", () => {
    const before = read();
    setConfigValue(file, "mqtt.url", "mqtt://127.0.0.1:1883");
    expectOnlyInserted(before, read(), ["mqtt:", "  url: mqtt://127.0.0.1:1883"]);
    expect(loadConfig(file).mqtt).toMatchObject({ url: "mqtt://127.0.0.1:1883" });
  });

  it("adds a section to a file `passgate init` wrote without moving its comments or respacing its lists", () => {
    // The init layout: a commented-out section between two sections, flow maps with
    // padding and flow lists without (a full re-render indented the comment under mqtt:
    // and turned [staff] into [ staff ]).
    writeFileSync(
      file,
      [
        "site: demo-campus",
        "gate: main-1",
        "timezone: Europe/Moscow",
        "readers:",
        "  - id: reader-in",
        "    direction: in",
        "    source: { type: serial, path: /dev/ttyACM0 }",
        "mqtt:",
        "  url: mqtt://127.0.0.1:1883",
        "  # Also possible: username, passwordFile.",
        "",
        "# The registry that issues passes.",
        "# registry:",
        "#   url: https://registry.example.edu",
        "",
        "http:",
        "  listen: 127.0.0.1:9464",
        "policy:",
        "  rules:",
        "    - name: staff",
        "      roles: [staff]",
        "",
      ].join("\n"),
    );
    const before = read();
    setConfigValue(file, "registry.trustedKeys.test-2026", "PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw");
    expectOnlyInserted(before, read(), [
      "registry:",
      "  trustedKeys:",
      "    test-2026: PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw",
    ]);
    const withKeys = read();
    setConfigValue(file, "mqtt.username", "gate-main-1");
    // After the section's own trailing comment, before the blank line and the next section.
    expectOnlyInserted(withKeys, read(), ["  username: gate-main-1"]);
    expect(read()).toContain("  # Also possible: username, passwordFile.\n  username: gate-main-1\n\n#");
    expect(loadConfig(file).registry).toMatchObject({
      trustedKeys: { "test-2026": "PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw" },
    });
    expect(loadConfig(file).registry?.url).toBeUndefined();
    // A new list item (what `reader add` writes) goes after the list's last item, alone.
    const withUser = read();
    setConfigValue(
      file,
      "readers.1",
      "{ id: out, direction: out, source: { type: serial, path: /dev/ttyACM1 } }",
    );
    expectOnlyInserted(withUser, read(), [
      "  - { id: out, direction: out, source: { type: serial, path: /dev/ttyACM1 } }",
    ]);
    expect(loadConfig(file).readers.map((r) => r.id)).toEqual(["reader-in", "out"]);
  });

  it("appends a list item at index = length, and no further", () => {
    setConfigValue(file, "policy.holidays.2", "2027-01-07");
    expect(getConfigValue(file, "policy.holidays")).toEqual(["2026-12-31", "2027-01-01", "2027-01-07"]);
    const err = refusal(() => setConfigValue(file, "policy.holidays.5", "2027-05-01"));
    expect(err.issues[0]?.message).toMatch(/the list has 3 items: use index 3 to add one/);
  });

  it("allows fixing one problem of a file that has others, and reports the rest", () => {
    const broken = read().replace("mode: soft", "mode: strict").replace("level: info", "level: loud");
    writeFileSync(file, broken);
    const { remainingIssues } = setConfigValue(file, "policy.antiPassback.mode", "hard");
    expect(remainingIssues.map((i) => i.path)).toEqual(["log.level"]);
    expect(read()).toBe(broken.replace("mode: strict", "mode: hard"));
  });

  it("refuses to edit a file with YAML syntax errors", () => {
    writeFileSync(file, "site: [\n");
    expect(refusal(() => setConfigValue(file, "site", "x")).code).toBe("CONFIG_YAML");
    expect(read()).toBe("site: [\n");
  });

  it("keeps the file mode and leaves no temp file", () => {
    chmodSync(file, 0o640);
    setConfigValue(file, "log.level", "debug");
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(["passgate.yaml"]);
  });

  it("reports a missing file", () => {
    expect(refusal(() => setConfigValue(join(dir, "nope.yaml"), "site", "x")).code).toBe("CONFIG_NOT_FOUND");
  });
});
