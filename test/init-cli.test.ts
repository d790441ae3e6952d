import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { buildProgram } from "../cli/program.js";
import { loadConfig } from "../config/load-config.js";
import { freeLoopbackPort } from "../daemon/mqtt/testing/mosquitto.js";
import { publicKeyText, readKeyFile } from "../daemon/trust/key-file.js";
import { runCliInProcess } from "./cli-harness.js";
import { InitGates, TYPICAL_GATE_FLAGS } from "./init-gate.js";
import { repoRoot } from "./run-cli.js";

/** The terminal test starts the CLI (a Node process with tsx); a loaded CI machine takes seconds per start. */
const CLI_TEST_TIMEOUT_MS = 60_000;

const gates = new InitGates();
const dir = gates.dir;
afterAll(() => gates.close());

describe("passgate init", { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it("writes a commented config from flags that config check accepts and the gate can start with", async () => {
    const file = await gates.init([
      "--registry",
      "http://127.0.0.1:8787",
      "--trusted-key",
      "test-2026=PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw",
      "--registry-token-file",
      "/etc/passgate/registry-token",
    ]);
    const text = readFileSync(file, "utf8");
    expect(text).toContain("# IANA time zone of the gate");
    expect(text).toContain("listen: 127.0.0.1:9464");
    const check = await runCliInProcess(["-c", file, "config", "check"]);
    expect(check.stdout).toBe("config OK: site north-campus, gate main-1, 2 readers, 1 relay, 2 rules\n");
    const config = loadConfig(file);
    expect(config.readers.map((r) => [r.id, r.direction, r.source.type])).toEqual([
      ["reader-in", "in", "serial"],
      ["reader-out", "out", "stdin"],
    ]);
    expect(config.relays[0]).toMatchObject({
      id: "turnstile",
      reader: "reader-in",
      driver: { type: "tasmota", topic: "turnstile-1", channel: 1 },
    });
    expect(config.http?.listen).toBe("127.0.0.1:9464");
    expect(config.registry?.tokenFile).toBe("/etc/passgate/registry-token");
  });

  it("writes --trusted-key without --registry as a registry-less gate's keys; sync now then says there is no registry URL", async () => {
    const file = await gates.init(["--trusted-key", "test-2026=PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw"]);
    const config = loadConfig(file);
    expect(config.registry).toMatchObject({
      trustedKeys: { "test-2026": "PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw" },
    });
    expect(config.registry?.url).toBeUndefined();
    // No url: nothing to sync with, said as such.
    const sync = await runCliInProcess(["-c", file, "sync", "now"]);
    expect(sync.code).toBe(1);
    expect(sync.stderr).toContain("no `registry.url` in the config, nothing to sync with");
  });

  it("refuses --registry-token-file without --registry: the token would go nowhere", async () => {
    const result = await runCliInProcess([
      "init",
      ...TYPICAL_GATE_FLAGS,
      ...["--registry-token-file", "/etc/passgate/registry-token", "--output", join(dir, "never.yaml")],
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--registry-token-file needs --registry URL");
    expect(existsSync(join(dir, "never.yaml"))).toBe(false);
  });

  it("makes the gate's signing key beside the database (0600), names it, and keeps it when set up again", async () => {
    const keyDir = mkdtempSync(join(dir, "keyed-"));
    const file = join(keyDir, "gate.yaml");
    const args = [
      "init",
      ...TYPICAL_GATE_FLAGS,
      "--storage",
      join(keyDir, "var", "gate.db"),
      "--output",
      file,
    ];
    const first = await runCliInProcess(args);
    expect(first.code, first.stderr).toBe(0);
    const keyFile = join(keyDir, "var", "gate.key");
    expect(first.stdout).toContain(`wrote the gate's signing key ${keyFile} (mode 600;`);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(loadConfig(file).trust.keyFile).toBe(keyFile);
    const publicKey = publicKeyText(readKeyFile(keyFile));
    const again = await runCliInProcess([...args, "--force"]);
    expect(again.stdout).toContain(`kept the gate's key ${keyFile}`);
    expect(publicKeyText(readKeyFile(keyFile))).toBe(publicKey);
    const shown = await runCliInProcess(["-c", file, "keys", "show", "--json"]);
    expect(JSON.parse(shown.stdout).member).toMatchObject({ id: "gate:main-1", publicKey });
  });

  it("refuses to replace an existing file without --force, and replaces it with --force", async () => {
    const file = await gates.fresh();
    const before = readFileSync(file, "utf8");
    const again = await runCliInProcess([
      "init",
      "--site",
      "x",
      "--gate",
      "y",
      "--reader",
      "in=stdin",
      "--relay-kind",
      "log",
      "--output",
      file,
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `passgate: ${file} already exists: give --force to replace it, or --output another file\n`,
    );
    expect(readFileSync(file, "utf8")).toBe(before);
    const forced = await runCliInProcess([
      "init",
      ...["--site", "x", "--gate", "y", "--reader", "in=stdin", "--relay-kind", "log"],
      ...["--storage", join(dir, "forced.db"), "--output", file, "--force"],
    ]);
    expect(forced.code).toBe(0);
    expect(loadConfig(file).site).toBe("x");
    // The gate starts with it: `run` reads the (empty) stdin reader and stops when it ends.
    const port = await freeLoopbackPort();
    expect(
      (await runCliInProcess(["-c", file, "config", "set", "http.listen", `127.0.0.1:${port}`])).code,
    ).toBe(0);
    const run = await runCliInProcess(["-c", file, "run"], { input: "" });
    expect(run.stderr).not.toMatch(/"level":(50|60)/);
    expect(run.code).toBe(0);
  });

  it("names every missing flag on one line and exits 2 when there is no terminal to ask on", async () => {
    const file = join(dir, "missing.yaml");
    const result = await runCliInProcess([
      "init",
      ...["--site", "s", "--relay-kind", "tasmota"],
      "--output",
      file,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "passgate: missing --gate, --reader, --relay-topic, --broker (no terminal to ask on; see passgate init --help)\n",
    );
    expect(existsSync(file)).toBe(false);
  });

  it("rejects bad flag values and unknown flags with one line and exit 2", async () => {
    const bad = await runCliInProcess([
      "init",
      "--site",
      "s",
      "--gate",
      "g",
      "--reader",
      "sideways=stdin",
      "--relay-kind",
      "log",
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain('--reader "sideways=stdin": expected in=<source> or out=<source>');
    const kind = await runCliInProcess(["init", "--relay-kind", "sonoff"]);
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain('--relay-kind "sonoff": expected one of tasmota, shelly-gen1');
    const unknown = await runCliInProcess(["init", "--bogus"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(`passgate: unknown option '--bogus' — see "passgate init --help"\n`);
  });

  it("validates with the real schema before writing: an invalid time zone is refused, nothing written", async () => {
    const file = join(dir, "badtz.yaml");
    const result = await runCliInProcess([
      "init",
      ...["--site", "s", "--gate", "g", "--reader", "in=stdin", "--relay-kind", "log"],
      ...["--timezone", "Mars/Olympus", "--output", file],
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("timezone: expected an IANA time zone such as Europe/Moscow");
    expect(existsSync(file)).toBe(false);
  });

  it("asks its questions on a real terminal (a pty made by script(1)) and writes a config that checks", async () => {
    const file = join(dir, "asked.yaml");
    const cli = `${process.execPath} --import tsx ${repoRoot}cli/main.ts init --output ${file}`;
    // Answers: site, gate, time zone (default), database, reader, relay board, broker (none),
    // registry (none), key for imported allowlists (none).
    const typed = ["lab", "bench", "", join(dir, "asked.db"), "stdin", "log", "", "", ""].join("\n");
    const result = spawnSync("script", ["-qfec", cli, "/dev/null"], {
      cwd: repoRoot,
      input: `${typed}\n`,
      env: { ...process.env, PASSGATE_CONFIG: "" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Site id (as the registry knows it): ");
    expect(result.stdout).toMatch(/Time zone \[[A-Za-z_/+-]+\]: /);
    expect(result.stdout).toContain(`wrote ${file}: site lab, gate bench`);
    expect((await runCliInProcess(["-c", file, "config", "check"])).stdout).toBe(
      "config OK: site lab, gate bench, 1 reader, 1 relay, 2 rules\n",
    );
  });

  it("has help with an Examples section on every set-up command and subcommand", async () => {
    const program = buildProgram();
    const checked: string[] = [];
    const commandPath = (command: Command): string =>
      command.parent === null ? command.name() : `${commandPath(command.parent)} ${command.name()}`;
    const visit = (command: Command): void => {
      let help = "";
      command.configureOutput({ writeOut: (text) => (help += text) });
      command.outputHelp();
      expect(help, commandPath(command)).toContain("\nExamples:\n  passgate ");
      checked.push(commandPath(command));
      for (const sub of command.commands) visit(sub);
    };
    for (const name of ["init", "gate", "reader", "relay", "policy"]) {
      const command = program.commands.find((c) => c.name() === name);
      if (command === undefined) throw new Error(`no command ${name}`);
      visit(command);
    }
    expect(checked).toContain("passgate relay test");
    expect(checked).toHaveLength(16);
    const help = await runCliInProcess(["readers", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: passgate reader|readers");
  });
});
