import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mqttSchema } from "../../config/mqtt-schema.js";
import { mqttClientOptions } from "./mqtt-client-options.js";

const ids = { site: "s", gate: "g" };

function passwordFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "passgate-mqtt-pw-")), "password");
  writeFileSync(file, text);
  return file;
}

describe("mqttClientOptions for the gate and for the readers", () => {
  it("both read the same password from a file ending in a newline", () => {
    const config = mqttSchema.parse({
      url: "mqtt://broker",
      username: "gate",
      passwordFile: passwordFile("s3cret\n"),
    });
    const gate = mqttClientOptions(config, { ...ids, statusTopic: "passgate/s/g/status" });
    const readers = mqttClientOptions(config, { kind: "readers", ...ids });
    expect(gate.password).toBe("s3cret");
    expect(readers.password).toBe("s3cret");
    expect(readers.username).toBe("gate");
  });

  it("strips only the trailing line ending: CRLF goes, other whitespace is part of the password", () => {
    const cases: [string, string][] = [
      ["s3cret\r\n", "s3cret"],
      [" s3cret \n", " s3cret "],
      ["s3cret\n\n", "s3cret\n"],
      ["s3cret", "s3cret"],
    ];
    for (const [text, password] of cases) {
      const config = mqttSchema.parse({ url: "mqtt://broker", passwordFile: passwordFile(text) });
      expect(mqttClientOptions(config, { kind: "readers", ...ids }).password).toBe(password);
      expect(mqttClientOptions(config, { ...ids, statusTopic: "t" }).password).toBe(password);
    }
  });

  it("the readers' client: its own client id, no will, reconnecting every second", () => {
    const config = mqttSchema.parse({ url: "mqtt://broker" });
    const readers = mqttClientOptions(config, { kind: "readers", ...ids });
    expect(readers).toMatchObject({
      clientId: "passgate-s-g-readers",
      reconnectPeriod: 1000,
      protocolVersion: 5,
    });
    expect(readers.will).toBeUndefined();
    const named = mqttSchema.parse({ url: "mqtt://broker", clientId: "turnstile-7" });
    expect(mqttClientOptions(named, { kind: "readers", ...ids }).clientId).toBe("turnstile-7-readers");
    expect(mqttClientOptions(named, { ...ids, statusTopic: "t" })).toMatchObject({
      clientId: "turnstile-7",
      reconnectPeriod: 0,
      will: { topic: "t", retain: true },
    });
  });
});
