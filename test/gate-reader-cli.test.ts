import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { setConfigValue } from "../config/edit-config.js";
import { loadConfig } from "../config/load-config.js";
import { runCliInProcess } from "./cli-harness.js";
import { InitGates } from "./init-gate.js";

const gates = new InitGates();
const dir = gates.dir;
afterAll(() => gates.close());

describe("passgate gate", () => {
  it("shows the gate as text and JSON", async () => {
    const file = await gates.fresh();
    const text = await runCliInProcess(["-c", file, "gate", "show"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("time zone  Europe/Moscow\n");
    expect(text.stdout).toContain("relays     turnstile (reader reader-in, tasmota turnstile-1 POWER1)\n");
    const shownJson = await runCliInProcess(["-c", file, "gate", "show", "--json"]);
    const json = JSON.parse(shownJson.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      site: "north-campus",
      gate: "main-1",
      timezone: "Europe/Moscow",
      zone: "campus",
      mode: "normal",
      broker: "mqtt://127.0.0.1:1883",
      registry: null,
    });
  });

  it("never shows a password written into the broker URL", async () => {
    const file = await gates.fresh();
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace("mqtt://127.0.0.1:1883", "mqtt://gate:s3cret-pw@127.0.0.1:1883"),
    );
    expect(loadConfig(file).mqtt?.url).toBe("mqtt://gate:s3cret-pw@127.0.0.1:1883");
    for (const args of [
      ["gate", "show"],
      ["gate", "show", "--json"],
    ]) {
      const shown = await runCliInProcess(["-c", file, ...args]);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toContain("mqtt://127.0.0.1:1883");
      expect(shown.stdout).not.toContain("s3cret-pw");
    }
  });

  it("sets the time zone and zone keeping the comments, and refuses an invalid value", async () => {
    const file = await gates.fresh();
    expect((await runCliInProcess(["-c", file, "gate", "set", "timezone", "Asia/Tokyo"])).code).toBe(0);
    expect((await runCliInProcess(["-c", file, "gate", "set", "zone", "library"])).code).toBe(0);
    const text = readFileSync(file, "utf8");
    expect(text).toContain(
      "# IANA time zone of the gate: schedules and holidays are read in it.\ntimezone: Asia/Tokyo",
    );
    expect(loadConfig(file).policy.zone).toBe("library");
    const bad = await runCliInProcess(["-c", file, "gate", "set", "timezone", "Nowhere/Land"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("timezone: expected an IANA time zone");
    expect(readFileSync(file, "utf8")).toBe(text);
    const unknown = await runCliInProcess(["-c", file, "gate", "set", "colour", "red"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'passgate: cannot set "colour": expected one of site, gate, timezone, zone — see "passgate gate set --help"\n',
    );
  });

  it("formats a broken config as its problems with lines, exit 1", async () => {
    const file = join(dir, "broken.yaml");
    writeFileSync(file, "site: s\ngate: g\ntimezone: UTC\npolicy:\n  mode: party\n");
    for (const command of [
      ["gate", "show"],
      ["reader", "list"],
      ["relay", "list"],
      ["policy", "show"],
    ]) {
      const result = await runCliInProcess(["-c", file, ...command]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`${file}:5 policy.mode: expected one of normal, lockdown, free`);
    }
  });
});

describe("passgate reader", () => {
  it("adds readers keeping the comments and lists them as text and JSON", async () => {
    const file = await gates.fresh();
    const added = await runCliInProcess([
      ...["-c", file, "reader", "add", "lobby"],
      ...["--direction", "in", "--mqtt", "tele/lobby/RESULT"],
    ]);
    expect(added.stdout).toBe(`added reader lobby (in) to ${file}; try it: passgate reader test lobby\n`);
    expect(
      (
        await runCliInProcess([
          ...["-c", file, "reader", "add", "side", "--direction", "out"],
          ...["--hid", "05e0:1200", "--hid-mode", "keyboard"],
        ])
      ).code,
    ).toBe(0);
    const list = await runCliInProcess(["-c", file, "reader", "list"]);
    expect(list.stdout).toBe(
      [
        "reader-in   in   serial usb 0c2e:0b61",
        "reader-out  out  stdin",
        "lobby       in   mqtt tele/lobby/RESULT",
        "side        out  hid keyboard usb 05e0:1200",
        "",
      ].join("\n"),
    );
    const listedJson = await runCliInProcess(["-c", file, "readers", "list", "--json"]);
    const json = JSON.parse(listedJson.stdout) as unknown[];
    expect(json).toContainEqual({ id: "side", direction: "out", source: "hid keyboard usb 05e0:1200" });
    expect(readFileSync(file, "utf8")).toContain("# in or out: which way a person granted here goes.");
  });

  it("removes a reader, and refuses to remove one a relay follows, naming the relay", async () => {
    const file = await gates.fresh();
    const before = readFileSync(file, "utf8");
    setConfigValue(
      file,
      "readers.2",
      "{ id: lobby, direction: in, source: { type: mqtt, topic: tele/lobby/RESULT } }",
    );
    const refused = await runCliInProcess(["-c", file, "reader", "remove", "reader-in"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "passgate: reader reader-in is used by relay turnstile: remove the relay first (passgate relay remove turnstile) or point it at another reader\n",
    );
    expect((await runCliInProcess(["-c", file, "reader", "remove", "lobby"])).code).toBe(0);
    expect(loadConfig(file).readers.map((r) => r.id)).toEqual(["reader-in", "reader-out"]);
    // Added and removed again: the file is byte for byte what init wrote ([staff] stays [staff]).
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  it("rejects a reader without a direction or with two sources, exit 2", async () => {
    const file = await gates.fresh();
    const none = await runCliInProcess(["-c", file, "reader", "add", "x", "--stdin"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(
      'passgate: give --direction in or --direction out — see "passgate reader add --help"\n',
    );
    const two = await runCliInProcess([
      "-c",
      file,
      "reader",
      "add",
      "x",
      "--direction",
      "in",
      "--stdin",
      "--serial",
      "/dev/ttyACM0",
    ]);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain("give exactly one source");
  });

  it("lists the devices present with --present, as JSON too", async () => {
    const file = await gates.fresh();
    const result = await runCliInProcess(["-c", file, "reader", "list", "--present", "--json"]);
    expect(result.code).toBe(0);
    const devices = JSON.parse(result.stdout) as { configured: unknown }[];
    expect(Array.isArray(devices)).toBe(true);
    for (const d of devices) expect(d).toHaveProperty("configured");
  });
});
