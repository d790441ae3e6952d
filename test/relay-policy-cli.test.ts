import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config/load-config.js";
import { runCliInProcess } from "./cli-harness.js";
import { InitGates } from "./init-gate.js";

const gates = new InitGates();
afterAll(() => gates.close());

describe("passgate relay list, add and remove", () => {
  it("adds a Shelly relay, lists it in both forms and removes it", async () => {
    const file = await gates.fresh();
    const added = await runCliInProcess([
      ...["-c", file, "relay", "add", "door", "--reader", "reader-out", "--kind", "shelly-gen2"],
      ...["--id", "shellyplus1-a8032ab12345", "--pulse", "800ms"],
    ]);
    expect(added.code).toBe(0);
    expect((await runCliInProcess(["-c", file, "relay", "list"])).stdout).toBe(
      "turnstile  reader reader-in  tasmota turnstile-1 POWER1  pulse 1000 ms\ndoor  reader reader-out  shelly-gen2 shellyplus1-a8032ab12345 channel 0  pulse 800 ms\n",
    );
    const listedJson = await runCliInProcess(["-c", file, "relay", "list", "--json"]);
    const json = JSON.parse(listedJson.stdout) as { id: string }[];
    expect(json.map((r) => r.id)).toEqual(["turnstile", "door"]);
    expect((await runCliInProcess(["-c", file, "relay", "remove", "door"])).code).toBe(0);
    expect(loadConfig(file).relays.map((r) => r.id)).toEqual(["turnstile"]);
  });

  it("refuses a relay on an unknown reader (config unchanged) and bad flags (exit 2)", async () => {
    const file = await gates.fresh();
    const before = readFileSync(file, "utf8");
    const unknownReader = await runCliInProcess([
      ...["-c", file, "relay", "add", "x"],
      ...["--reader", "nope", "--kind", "log"],
    ]);
    expect(unknownReader.code).toBe(1);
    expect(unknownReader.stderr).toContain('unknown reader "nope"');
    expect(readFileSync(file, "utf8")).toBe(before);
    const noTopic = await runCliInProcess([
      ...["-c", file, "relay", "add", "x"],
      ...["--reader", "reader-in", "--kind", "tasmota"],
    ]);
    expect(noTopic.code).toBe(2);
    expect(noTopic.stderr).toBe(
      'passgate: a tasmota relay needs --topic — see "passgate relay add --help"\n',
    );
    const unknownRelay = await runCliInProcess(["-c", file, "relay", "test", "nope"]);
    expect(unknownRelay.code).toBe(1);
    expect(unknownRelay.stderr).toBe('passgate: no relay "nope" in the config (relays: turnstile)\n');
  });
});

describe("passgate policy show", () => {
  const example = join(import.meta.dirname, "..", "config", "example.yaml");
  const policyShow = (...args: string[]) => runCliInProcess(["-c", example, "policy", "show", ...args]);

  it("says who may pass when, in words", async () => {
    const result = await policyShow();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "students: People with role student may enter and leave Mon–Fri 07:00–22:00 and Sat 08:00–18:00 (Europe/Moscow, schedule lectures), not on 2026-12-31, 2027-01-01.\n",
    );
    expect(result.stdout).toContain(
      "visitors: People with role visitor may enter and leave Mon–Fri 09:00–18:00 (Europe/Moscow, schedule office-hours), not on 2026-12-31, 2027-01-01, with at least standard identity assurance.\n",
    );
    expect(result.stdout).toContain(
      "Lockout: 5 bad codes for one pass within 10 min block it at that reader for 15 min.\n",
    );
    expect(result.stdout).toContain("Guess limit: a reader takes 8 bad codes, then one more every 1 h;");
  });

  it("with --at says which rules are open then, as the gate decides (holiday, time zone)", async () => {
    const holiday = await policyShow("--at", "2026-12-31T09:00:00+03:00");
    expect(holiday.stdout).toContain(
      "At 2026-12-31T06:00:00.000Z is Thu 2026-12-31 09:00 in Europe/Moscow, a holiday:\n",
    );
    expect(holiday.stdout).toContain("  closed students (in): outside_schedule\n");
    expect(holiday.stdout).toContain("  open   staff (in)\n");
    // 06:30 UTC on a Wednesday is 09:30 in Moscow: lectures and office hours are open.
    const json = JSON.parse((await policyShow("--at", "2026-11-25T06:30:00Z", "--json")).stdout) as {
      at: { rules: { name: string; direction: string; open: boolean }[] };
    };
    expect(json.at.rules.filter((r) => r.direction === "in").map((r) => [r.name, r.open])).toEqual([
      ["students", true],
      ["staff", true],
      ["visitors", true],
      ["library-readers", true],
    ]);
  });

  it("rejects a time that is not ISO 8601 with exit 2", async () => {
    const result = await policyShow("--at", "tomorrow");
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'passgate: --at "tomorrow" is not an ISO 8601 time such as 2026-12-01T08:30:00+03:00 — see "passgate policy show --help"\n',
    );
  });
});
