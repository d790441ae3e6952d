import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserStore } from "../../console/auth/user-store.js";
import { loadConsoleConfig } from "../../console/console-config.js";
import { consoleConfigText } from "../../console/console-config-text.js";
import { openConsoleDatabase } from "../../console/store/console-database.js";
import { runCliInProcess } from "../../test/cli-harness.js";

let dir: string;
let config: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "passgate-console-cli-"));
  config = join(dir, "console.yaml");
  const init = await runCliInProcess([
    "console",
    "init",
    "--site",
    "north",
    "--operator",
    "desk-1",
    "--config",
    config,
  ]);
  expect(init.code).toBe(0);
  const key = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" });
  writeFileSync(join(dir, "operator-desk-1.key"), key, { mode: 0o600 });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function check(username: string, password: string) {
  const db = openConsoleDatabase(loadConsoleConfig(config).database.path);
  try {
    return await new UserStore(db).check(username, password);
  } finally {
    db.close();
  }
}

describe("passgate console", () => {
  it("init writes a commented config that loads, with the operator and the site", () => {
    const loaded = loadConsoleConfig(config);
    expect(loaded).toMatchObject({ site: "north", listen: "127.0.0.1:8480", operator: { name: "desk-1" } });
    expect(loaded.operator.keyFile).toBe(join(dir, "operator-desk-1.key"));
    expect(readFileSync(config, "utf8")).toContain("# The roster member the console signs its requests as");
    expect(statSync(config).mode & 0o777).toBe(0o640);
    // Beside the config here; a config in /etc puts it where the systemd unit may write.
    expect(loaded.database.path).toBe(join(dir, "console.db"));
    const service = consoleConfigText({
      site: "north",
      operator: "desk-1",
      keyFile: "k",
      brokerUrl: "mqtt://127.0.0.1:1883",
      timeZone: "UTC",
      databasePath: "/var/lib/passgate-console/console.db",
    });
    expect(service).toContain("  path: /var/lib/passgate-console/console.db\n");
    expect(
      readFileSync(new URL("../../scripts/passgate-console.service", import.meta.url), "utf8"),
    ).toContain("ReadWritePaths=/var/lib/passgate-console");
  });

  it("adds a user with the password from stdin, lists, changes the password and removes the user; the database is 0600", async () => {
    const add = await runCliInProcess(
      ["console", "user", "add", "ivanova", "--role", "guard", "--password-stdin", "--config", config],
      { input: "first password 1\n" },
    );
    expect(add).toMatchObject({ code: 0, stdout: "added guard ivanova\n" });
    expect((await check("ivanova", "first password 1"))?.role).toBe("guard");
    const db = loadConsoleConfig(config).database.path;
    expect(statSync(db).mode & 0o777).toBe(0o600);
    expect(readFileSync(db).includes(Buffer.from("first password 1"))).toBe(false);

    const list = await runCliInProcess(["console", "user", "list", "--json", "--config", config]);
    expect(list.code).toBe(0);
    const users = JSON.parse(list.stdout) as Record<string, unknown>[];
    expect(users).toEqual([{ username: "ivanova", role: "guard", createdAt: expect.any(Number) }]);
    expect(list.stdout).not.toContain("scrypt");

    const again = await runCliInProcess(
      ["console", "user", "add", "ivanova", "--role", "admin", "--password-stdin", "--config", config],
      { input: "another password\n" },
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^passgate: user ivanova exists already/);

    const passwd = await runCliInProcess(
      ["console", "user", "passwd", "ivanova", "--password-stdin", "--config", config],
      {
        input: "second password 2\n",
      },
    );
    expect(passwd.code).toBe(0);
    expect(await check("ivanova", "first password 1")).toBeUndefined();
    expect((await check("ivanova", "second password 2"))?.username).toBe("ivanova");

    const remove = await runCliInProcess(["console", "user", "remove", "ivanova", "--config", config]);
    expect(remove).toMatchObject({ code: 0, stdout: "removed ivanova\n" });
    expect(await check("ivanova", "second password 2")).toBeUndefined();
    expect((await runCliInProcess(["console", "user", "remove", "ivanova", "--config", config])).code).toBe(
      1,
    );
  });

  it("never takes a password from the command line, and asks for a terminal or --password-stdin", async () => {
    const inArgv = await runCliInProcess([
      "console",
      "user",
      "add",
      "ivanova",
      "secret password",
      "--role",
      "guard",
      "--config",
      config,
    ]);
    expect(inArgv.code).toBe(2);
    const option = await runCliInProcess([
      "console",
      "user",
      "add",
      "ivanova",
      "--role",
      "guard",
      "--password",
      "x",
      "--config",
      config,
    ]);
    expect(option.code).toBe(2);
    const noTerminal = await runCliInProcess([
      "console",
      "user",
      "add",
      "ivanova",
      "--role",
      "guard",
      "--config",
      config,
    ]);
    expect(noTerminal.code).toBe(1);
    expect(noTerminal.stderr).toBe(
      "passgate: no terminal to ask the password on: pipe it in with --password-stdin\n",
    );
    const short = await runCliInProcess(
      ["console", "user", "add", "ivanova", "--role", "guard", "--password-stdin", "--config", config],
      {
        input: "short\n",
      },
    );
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/at least 10 characters/);
    const badRole = await runCliInProcess(
      ["console", "user", "add", "ivanova", "--role", "boss", "--password-stdin", "--config", config],
      {
        input: "long enough password\n",
      },
    );
    expect(badRole.code).toBe(2);
    expect(
      JSON.parse((await runCliInProcess(["console", "user", "list", "--json", "--config", config])).stdout),
    ).toEqual([]);
  });
});
