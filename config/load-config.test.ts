import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConfigError,
  type ConfigIssue,
  DEFAULT_CONFIG_PATH,
  formatConfigError,
  formatDotPath,
  loadConfig,
  resolveConfigPath,
} from "./load-config.js";

const EXAMPLE = new URL("./example.yaml", import.meta.url).pathname;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "passgate-config-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(text: string, name = "passgate.yaml"): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The ConfigError that loading `text` throws. */
function errorOf(text: string): ConfigError {
  const file = writeConfig(text);
  try {
    loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected the config to be refused");
}

const MINIMAL = `site: demo-campus
gate: main-1
timezone: Europe/Moscow
`;

describe("config/example.yaml", () => {
  it("validates, with the demo site's readers, relays and rules", () => {
    const config = loadConfig(EXAMPLE);
    expect(config).toMatchObject({ site: "demo-campus", gate: "main-1", timezone: "Europe/Moscow" });
    expect(config.readers).toEqual([
      { id: "in", direction: "in", source: expect.objectContaining({ type: "stdin" }) },
    ]);
    expect(config.relays).toEqual([{ id: "turnstile", reader: "in", driver: { type: "log" }, pulse: 1000 }]);
    expect(config.policy.rules.map((r) => r.name)).toEqual([
      "students",
      "staff",
      "visitors",
      "library-readers",
    ]);
    expect(config.policy.holidays).toEqual(["2026-12-31", "2027-01-01"]);
    expect(config.policy.antiPassback.mode).toBe("soft");
    expect(config.policy.lockout).toEqual({ attempts: 5, within: 600_000, lockFor: 900_000 });
    expect(config.mqtt).toBeUndefined();
    expect(config.registry?.trustedKeys).toEqual({
      "test-2026": "PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw",
    });
  });

  it("points storage at the repository's top-level var/", () => {
    expect(loadConfig(EXAMPLE).storage.path).toBe(new URL("../var/passgate.db", import.meta.url).pathname);
  });
});

describe("resolveConfigPath", () => {
  it.each([
    ["--config wins", "a.yaml", { PASSGATE_CONFIG: "b.yaml" }, "a.yaml"],
    ["else PASSGATE_CONFIG", undefined, { PASSGATE_CONFIG: "b.yaml" }, "b.yaml"],
    ["else ./passgate.yaml", undefined, {}, DEFAULT_CONFIG_PATH],
    ["an empty value counts as unset", "", { PASSGATE_CONFIG: "" }, "./passgate.yaml"],
  ])("%s", (_name, explicit, env, expected) => {
    expect(resolveConfigPath(explicit, env)).toBe(expected);
  });
});

describe("relative paths", () => {
  it("are resolved against the config file's directory; absolute ones are kept", () => {
    mkdirSync(join(dir, "etc"));
    const file = writeConfig(
      `${MINIMAL}storage: { path: ./db/gate.db }
mqtt:
  url: mqtt://127.0.0.1:1883
  passwordFile: secrets/mqtt
  tls: { ca: ../ca.pem, cert: /etc/passgate/gate.pem }
registry:
  url: http://127.0.0.1:8787
  tokenFile: token
  trustedKeys: {}
`,
      "etc/passgate.yaml",
    );
    const config = loadConfig(file);
    expect(config.storage.path).toBe(join(dir, "etc/db/gate.db"));
    expect(config.mqtt?.passwordFile).toBe(join(dir, "etc/secrets/mqtt"));
    expect(config.mqtt?.tls).toEqual({
      ca: join(dir, "ca.pem"),
      cert: "/etc/passgate/gate.pem",
      rejectUnauthorized: true,
    });
    expect(config.registry?.tokenFile).toBe(join(dir, "etc/token"));
  });

  it("include the default storage path, which lands next to the config file", () => {
    expect(loadConfig(writeConfig(MINIMAL)).storage.path).toBe(join(dir, "var/passgate.db"));
  });

  it("leave SQLite's :memory: alone", () => {
    expect(loadConfig(writeConfig(`${MINIMAL}storage: { path: ":memory:" }\n`)).storage.path).toBe(
      ":memory:",
    );
  });
});

describe("bad configs", () => {
  // [case, YAML, path of the issue, its line, what the message says]
  const cases: [string, string, string, number | undefined, RegExp][] = [
    [
      "wrong type",
      `${MINIMAL}token:\n  window: "3"\n`,
      "token.window",
      5,
      /^expected a number, got a string/,
    ],
    [
      "number where a name is expected",
      "site: 2026\ngate: g\ntimezone: UTC\n",
      "site",
      1,
      /put it in quotes: "2026"/,
    ],
    ["unknown key", `${MINIMAL}bogus: 1\n`, "bogus", 4, /^unknown key "bogus" \(check spelling\)$/],
    [
      "misspelt key",
      `${MINIMAL}policy:\n  lockout:\n    atempts: 3\n`,
      "policy.lockout.atempts",
      6,
      /unknown key "atempts" \(check spelling: did you mean "attempts"\?\)/,
    ],
    [
      "bad enum",
      `${MINIMAL}policy:\n  antiPassback:\n    mode: strict\n`,
      "policy.antiPassback.mode",
      6,
      /^expected one of off, hard, soft, timed \(got "strict"\)$/,
    ],
    [
      "bad enum in a list",
      `${MINIMAL}readers:\n  - id: in\n    direction: up\n    source: { type: stdin }\n`,
      "readers.0.direction",
      6,
      /^expected one of in, out \(got "up"\)$/,
    ],
    [
      "bad source type",
      `${MINIMAL}readers:\n  - id: in\n    direction: in\n    source: { type: usb }\n`,
      "readers.0.source.type",
      7,
      /^expected one of stdin, serial, hid, mqtt, bridge \(got "usb"\)$/,
    ],
    [
      "bad time zone",
      "site: s\ngate: g\ntimezone: Mars/Olympus\n",
      "timezone",
      3,
      /IANA time zone.*"Mars\/Olympus"/,
    ],
    [
      "unknown schedule reference",
      `${MINIMAL}policy:\n  rules:\n    - name: students\n      roles: [student]\n      schedule: lecturs\n`,
      "policy.rules.0.schedule",
      8,
      /unknown schedule "lecturs"/,
    ],
    [
      "bad duration",
      `${MINIMAL}policy:\n  lockout:\n    within: 10 minutes\n`,
      "policy.lockout.within",
      6,
      /^expected a duration such as 500ms, 30s, 5m, 12h or 7d \(got "10 minutes"\)$/,
    ],
    [
      "duration without a unit",
      `${MINIMAL}relays:\n  - id: r\n    reader: in\n    driver: { type: log }\n    pulse: 300\n`,
      "relays.0.pulse",
      8,
      /duration.*\(got 300\)/,
    ],
    [
      "bad date",
      `${MINIMAL}policy:\n  holidays: [2026-02-30]\n`,
      "policy.holidays.0",
      5,
      /expected a date as YYYY-MM-DD/,
    ],
    [
      "schedule window backwards",
      `${MINIMAL}policy:\n  schedules:\n    x:\n      - days: [mon]\n        from: "18:00"\n        to: "09:00"\n`,
      "policy.schedules.x.0.to",
      9,
      /`from` must be earlier than `to`/,
    ],
    ["missing required key", "site: s\ngate: g\n", "timezone", undefined, /^missing: expected a string$/],
    [
      "missing key in a list item points at the item",
      `${MINIMAL}readers:\n  - id: in\n    source: { type: stdin }\n`,
      "readers.0.direction",
      5,
      /^missing: expected one of in, out$/,
    ],
    [
      "relay for an unknown reader",
      `${MINIMAL}relays:\n  - id: r\n    reader: out\n    driver: { type: log }\n`,
      "relays.0.reader",
      6,
      /unknown reader "out"/,
    ],
    [
      "two readers on stdin",
      `${MINIMAL}readers:\n  - id: a\n    direction: in\n    source: { type: stdin }\n  - id: b\n    direction: out\n    source: { type: stdin }\n`,
      "readers.1.source.type",
      10,
      /only one reader can read stdin/,
    ],
    ["empty file", "", "", undefined, /the file is empty/],
  ];

  it.each(cases)("%s", (_name, text, path, line, message) => {
    const err = errorOf(text);
    expect(err.code).toBe("CONFIG_INVALID");
    const issue = err.issues.find((i) => i.path === path);
    expect(issue, formatConfigError(err)).toBeDefined();
    expect(issue?.line).toBe(line);
    expect(issue?.message).toMatch(message);
  });

  it("lists every problem at once, in file order", () => {
    const err = errorOf(`site: s
gate: g
timezone: Mars/Olympus
bogus: 1
policy:
  rules:
    - name: a
      roles: [x]
      schedule: nope
  antiPassback:
    mode: strict
`);
    expect(err.issues.map((i): [string, number | undefined] => [i.path, i.line])).toEqual([
      ["timezone", 3],
      ["bogus", 4],
      // Reported although antiPassback is broken too: the check reads only rules and schedules.
      ["policy.rules.0.schedule", 9],
      ["policy.antiPassback.mode", 11],
    ]);
  });

  it("reports YAML syntax errors with line and column", () => {
    const err = errorOf("site: s\ngate: g\ntimezone: UTC\nreaders: [in, out\nlog: {}\n");
    expect(err.code).toBe("CONFIG_YAML");
    expect(err.issues.length).toBeGreaterThan(0);
    const [first] = err.issues;
    expect(first?.message).toMatch(/^YAML syntax error: /);
    expect(first?.line).toBe(5);
    expect(first?.column).toBe(1);
    expect(formatConfigError(err).split("\n")[0]).toMatch(/passgate\.yaml:5:1: YAML syntax error: /);
  });

  it("reports duplicate keys as YAML errors", () => {
    const err = errorOf(`${MINIMAL}gate: main-2\n`);
    expect(err.code).toBe("CONFIG_YAML");
    expect(err.issues[0]).toMatchObject({ line: 4, column: 1 });
  });

  it("reports a missing file", () => {
    const file = join(dir, "nope.yaml");
    expect(() => loadConfig(file)).toThrow(ConfigError);
    try {
      loadConfig(file);
    } catch (err) {
      expect(err).toMatchObject({ code: "CONFIG_NOT_FOUND", file });
      expect(formatConfigError(err as ConfigError)).toBe(
        `${file}: file not found (give one with --config FILE or PASSGATE_CONFIG; config/example.yaml is a start)`,
      );
    }
  });
});

describe("formatConfigError", () => {
  it("renders one `file:line path: message` line per issue", () => {
    const issues: ConfigIssue[] = [
      {
        path: "policy.antiPassback.mode",
        message: 'expected one of off, hard, soft, timed (got "strict")',
        line: 12,
      },
      { path: "timezone", message: "missing: expected a string" },
    ];
    expect(formatConfigError(new ConfigError("CONFIG_INVALID", "passgate.yaml", issues, "is invalid"))).toBe(
      [
        'passgate.yaml:12 policy.antiPassback.mode: expected one of off, hard, soft, timed (got "strict")',
        "passgate.yaml timezone: missing: expected a string",
      ].join("\n"),
    );
  });

  it("puts the summary and the issues in the error's message", () => {
    const err = errorOf(`${MINIMAL}bogus: 1\n`);
    expect(err.message).toMatch(
      /passgate\.yaml: is invalid \(1 problem\)\n.*passgate\.yaml:4 bogus: unknown key/,
    );
  });
});

describe("formatDotPath", () => {
  it.each([
    [["policy", "rules", 0, "schedule"], "policy.rules.0.schedule"],
    [["registry", "trustedKeys", "test-2026"], "registry.trustedKeys.test-2026"],
    [["policy", "schedules", "office.hours"], 'policy.schedules["office.hours"]'],
    [[], ""],
  ])("%j → %s", (segments, expected) => {
    expect(formatDotPath(segments)).toBe(expected);
  });
});
