import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { checkConfigText } from "../../config/load-config.js";
import type { ListedReader } from "../../reader-bridge/reader-listing.js";
import { askInitAnswers, type InitQuestionDefaults } from "./ask-init-answers.js";
import { renderInitConfig } from "./render-init-config.js";

const defaults: InitQuestionDefaults = {
  timezone: "Europe/Moscow",
  storagePath: "./var/passgate.db",
  readers: [],
};

const scanner: ListedReader = {
  kind: "serial",
  path: "/dev/ttyACM0",
  vendorId: "0c2e",
  productId: "0b61",
  description: "Honeywell",
  snippet: "",
};

/** Runs the questions with `lines` typed as answers; returns the answers and everything shown. */
async function answer(lines: readonly string[], devices: readonly ListedReader[], given = defaults) {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = "";
  output.on("data", (d: Buffer) => {
    shown += d.toString();
  });
  input.end(`${lines.join("\n")}\n`);
  const answers = await askInitAnswers({ input, output }, given, devices);
  return { answers, shown };
}

describe("passgate init questions", () => {
  it("asks each question with its default, offers the scanners found and re-asks a wrong answer", async () => {
    const { answers, shown } = await answer(
      [
        "north campus", // not a name: asked again
        "north-campus",
        "main-1",
        "", // time zone: the default
        "",
        "", // reader: the default, the first scanner found
        "", // relay board: tasmota
        "turnstile-1",
        "", // broker: the default
        "", // no registry
        "", // and no key for imported allowlists
      ],
      [scanner],
    );
    expect(shown).toContain("Site id (as the registry knows it): ");
    expect(shown).toContain("  use letters, digits, _ . - (at most 64)");
    expect(shown).toContain("Time zone [Europe/Moscow]: ");
    expect(shown).toContain("  1) serial /dev/ttyACM0 0c2e:0b61 Honeywell");
    expect(shown).toContain("MQTT broker URL [mqtt://127.0.0.1:1883]: ");
    expect(answers).toEqual({
      site: "north-campus",
      gate: "main-1",
      timezone: "Europe/Moscow",
      storagePath: "./var/passgate.db",
      readers: [
        {
          id: "reader-in",
          direction: "in",
          source: { type: "serial-usb", vendorId: "0c2e", productId: "0b61" },
        },
      ],
      relay: { kind: "tasmota", target: "turnstile-1" },
      broker: "mqtt://127.0.0.1:1883",
    });
    const checked = checkConfigText(renderInitConfig(answers, new Date(0)), "/tmp/passgate.yaml");
    expect(checked.ok).toBe(true);
  });

  it("skips what flags gave and asks no broker for a log relay; a registry takes a key", async () => {
    const { answers, shown } = await answer(
      [
        "UTC",
        "/srv/gate.db",
        "stdin",
        "log",
        "",
        "https://registry.example.edu",
        "bad",
        "k1=PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw",
        "",
      ],
      [],
      { ...defaults, site: "lab", gate: "bench" },
    );
    expect(shown).not.toContain("Site id");
    expect(shown).toContain("No scanners found");
    expect(shown).toContain("MQTT broker URL (Enter: none): ");
    expect(shown).toContain("  expected key-id=<43 base64url characters>");
    expect(answers).toMatchObject({
      site: "lab",
      gate: "bench",
      timezone: "UTC",
      storagePath: "/srv/gate.db",
      readers: [{ id: "reader-in", direction: "in", source: { type: "stdin" } }],
      relay: { kind: "log" },
      registry: {
        url: "https://registry.example.edu",
        trustedKeys: { k1: "PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw" },
      },
    });
    expect(answers.broker).toBeUndefined();
  });

  it("without a registry asks for the key that signs imported allowlists, and writes it with no url", async () => {
    const { answers, shown } = await answer(
      [
        "UTC",
        "/srv/gate.db",
        "stdin",
        "log",
        "",
        "",
        "k1=short",
        "test-2026=PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw",
      ],
      [],
      { ...defaults, site: "demo-campus", gate: "bench" },
    );
    expect(shown).toContain("Key that signs the allowlists you import, as ID=KEY (Enter: none): ");
    expect(shown).toContain("  expected key-id=<43 base64url characters>");
    expect(answers.registry).toEqual({
      trustedKeys: { "test-2026": "PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw" },
    });
    const checked = checkConfigText(renderInitConfig(answers, new Date(0)), "/tmp/passgate.yaml");
    expect(checked.ok && checked.config.registry).toEqual({
      trustedKeys: { "test-2026": "PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw" },
      pollInterval: 60_000,
    });
  });
});
