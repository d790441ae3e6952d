import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { loadBridgeConfig } from "../../config/load-config.js";
import { askBridgeAnswers } from "./ask-bridge-answers.js";
import { bridgeInitAsking } from "./bridge-init.js";

const KEY = "7dI6M08jhe5_awh-IBePK-uLDnjvwglQZcHEhW8P0Aw";

function terminal(lines: readonly string[]) {
  const input = new PassThrough();
  input.end(`${lines.join("\n")}\n`);
  let said = "";
  const output = new Writable({
    write(chunk, _e, done) {
      said += String(chunk);
      done();
    },
  });
  return { io: { input, output, terminal: true }, said: () => said };
}

describe("passgate bridge init", () => {
  it("asks on a terminal for what the flags leave out, re-asking a wrong answer, and writes a config that loads", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "passgate-bridge-init-")), "passgate-bridge.yaml");
    const t = terminal([
      "north",
      "main-1",
      "bad name!",
      "lane-1",
      "ftp://x",
      "mqtt://10.0.0.2:1883",
      KEY,
      "in:in:stdin",
      "",
    ]);
    await bridgeInitAsking(file, {}, t.io);
    expect(t.said()).toContain("use letters, digits, _ . - (at most 64)");
    expect(t.said()).toContain("expected mqtt://host:1883");
    const config = loadBridgeConfig(file);
    expect(config).toMatchObject({
      site: "north",
      gate: "main-1",
      name: "lane-1",
      gateKey: KEY,
      mqtt: { url: "mqtt://10.0.0.2:1883" },
      readers: [{ id: "in", direction: "in", source: { type: "stdin" } }],
    });
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(statSync(config.keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toMatch(/^# The reader bridge beside a turnstile/);
    expect(t.said()).toContain("next: passgate bridge pair");
  });

  it("offers the scanners found by number", async () => {
    const t = terminal(["in:in:1", ""]);
    const answers = await askBridgeAnswers(
      t.io,
      { site: "s", gate: "g", name: "n", broker: "mqtt://b:1883", gateKey: KEY, reader: [] },
      [
        {
          kind: "serial",
          path: "/dev/ttyACM0",
          vendorId: "0c2e",
          productId: "0b61",
          description: "Honeywell",
          snippet: "",
        },
      ],
    );
    expect(t.said()).toContain("1) serial /dev/ttyACM0 0c2e:0b61 Honeywell");
    expect(answers.reader).toEqual(["in:in:serial-usb:0c2e:0b61"]);
  });

  it("without a terminal, names the flags that are missing and writes nothing", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "passgate-bridge-init-")), "passgate-bridge.yaml");
    const t = terminal([]);
    await expect(bridgeInitAsking(file, { site: "s" }, { ...t.io, terminal: false })).rejects.toThrow(
      "missing --gate, --name, --broker, --reader (no terminal to ask on",
    );
    expect(() => statSync(file)).toThrow();
  });
});
