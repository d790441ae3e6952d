import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../config/config-error.js";
import { testGateMember } from "../daemon/trust/testing/test-members.js";
import { loadGateRoster } from "./gate-roster.js";
import { loadGuardianDirectory } from "./guardian-directory.js";
import { checkNotifyConfigText } from "./notify-config.js";
import { readSecretFile } from "./secret-file.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "passgate-notify-config-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const minimal = [
  "site: school-7",
  "mqtt:",
  "  url: mqtt://127.0.0.1:1883",
  "timeZone: Europe/Moscow",
  "gates: roster.json",
  "database: notify.db",
  "guardians: guardians.yaml",
];

function problems(text: string): string[] {
  const checked = checkNotifyConfigText(text, join(dir, "notify.yaml"));
  if (checked.ok) return [];
  return checked.error.message.split("\n").slice(1);
}

describe("the notifier's config", () => {
  it("takes a minimal config with defaults and paths anchored at its folder", () => {
    const checked = checkNotifyConfigText(minimal.join("\n"), join(dir, "notify.yaml"));
    if (!checked.ok) throw checked.error;
    expect(checked.config).toMatchObject({
      topicPrefix: "passgate",
      database: join(dir, "notify.db"),
      gates: join(dir, "roster.json"),
      delivery: { timeout: 10_000, retryFirst: 5_000, retryMax: 1_800_000, giveUpAfter: 86_400_000 },
      mqtt: { sessionExpiry: 3_600_000 },
    });
  });

  it("names each problem with its line", () => {
    const text = [...minimal, "timeZone2: x", "smtp:", "  host: mail", "  port: 99999", "  from: x@y"].join(
      "\n",
    );
    expect(problems(text.replace("Europe/Moscow", "Mars/Olympus"))).toEqual([
      expect.stringMatching(/notify\.yaml:4 timeZone: expected an IANA time zone/),
      expect.stringMatching(
        /notify\.yaml:8 timeZone2: unknown key "timeZone2" \(check spelling: did you mean "timeZone"\?\)/,
      ),
      expect.stringMatching(/notify\.yaml:11 smtp\.port: expected 65535 or less \(got 99999\)/),
    ]);
  });

  it("takes inline gates only as gate ids with an Ed25519 key", () => {
    const { member } = testGateMember("main-1");
    const inline = (id: string) =>
      minimal.map((l) =>
        l.startsWith("gates:") ? `gates: [{id: "${id}", publicKey: ${member.publicKey}}]` : l,
      );
    expect(problems(inline("gate:main-1").join("\n"))).toEqual([]);
    expect(problems(inline("operator:desk").join("\n"))).toEqual([
      expect.stringMatching(/gates(\.0\.id)?: /),
    ]);
  });
});

describe("the gates' roster", () => {
  it("takes the active gates of a trust list --json, nothing else", () => {
    const active = testGateMember("main-1").member;
    const revoked = { ...testGateMember("old-1").member, status: "revoked" };
    const operator = {
      id: "operator:desk",
      kind: "operator",
      roles: ["guard"],
      publicKey: active.publicKey,
      status: "active",
    };
    const extra = { fingerprint: "ab:cd", origin: "local", addedAt: "2026-01-01T00:00:00.000Z" };
    const file = join(dir, "roster.json");
    writeFileSync(
      file,
      JSON.stringify({
        version: null,
        members: [active, revoked, operator].map((m) => ({ ...m, ...extra })),
      }),
    );
    const roster = loadGateRoster(file);
    expect(roster.members().map((m) => m.id)).toEqual(["gate:main-1"]);
  });

  it("refuses a file that is not a roster, with what to do", () => {
    const file = join(dir, "roster.json");
    writeFileSync(file, "members: []");
    expect(() => loadGateRoster(file)).toThrow(/passgate trust list --json/);
    writeFileSync(file, JSON.stringify({ members: [] }));
    expect(() => loadGateRoster(file)).toThrow(/no active gate/);
    expect(() => loadGateRoster(join(dir, "missing.json"))).toThrow(ConfigError);
  });
});

describe("the guardians file", () => {
  it("takes guardians with consent and channels, and says which channels each can get", () => {
    const file = join(dir, "guardians.yaml");
    writeFileSync(
      file,
      [
        "guardians:",
        "  - {id: p-77, name: Анна, consent: true, email: anna@example.ru, webhook: {url: https://bot.example/hook}}",
        "  - {id: p-78, name: Олег, consent: false, email: oleg@example.ru}",
      ].join("\n"),
    );
    const directory = loadGuardianDirectory(file);
    const anna = directory.get("p-77");
    const oleg = directory.get("p-78");
    expect(anna && directory.channels(anna)).toEqual(["email", "webhook"]);
    expect(oleg && directory.channels(oleg)).toEqual([]);
  });

  it("refuses other URL schemes, credentials in a URL, bad addresses and repeated ids, each with its line", () => {
    const file = join(dir, "guardians.yaml");
    writeFileSync(
      file,
      [
        "guardians:",
        "  - {id: p-1, name: A, consent: true, webhook: {url: 'file:///etc/passwd'}}",
        "  - {id: p-2, name: B, consent: true, webhook: {url: 'https://user:pw@bot.example/'}}",
        "  - {id: p-3, name: C, consent: true, email: not-an-address}",
        "  - {id: p-5, name: E}",
      ].join("\n"),
    );
    let error: unknown;
    try {
      loadGuardianDirectory(file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as ConfigError).issues.map((i) => `${i.line} ${i.path}`);
    expect(lines).toEqual([
      "2 guardians.0.webhook.url",
      "3 guardians.1.webhook.url",
      "4 guardians.2.email",
      "5 guardians.3.consent",
    ]);
    // A repeated id, once every entry is valid on its own.
    writeFileSync(
      file,
      ["guardians:", "  - {id: p-1, name: A, consent: true}", "  - {id: p-1, name: B, consent: false}"].join(
        "\n",
      ),
    );
    expect(() => loadGuardianDirectory(file)).toThrow(/:3 guardians\.1\.id: "p-1" is listed twice/);
  });
});

describe("secret files", () => {
  it("are read without their line ending and refused when others may read them or too short", () => {
    const file = join(dir, "secret");
    writeFileSync(file, "0123456789abcdef\n", { mode: 0o600 });
    expect(readSecretFile(file, "the webhook secret file", 16).toString()).toBe("0123456789abcdef");
    expect(() => readSecretFile(file, "the webhook secret file", 17)).toThrow(/shorter than 17 bytes/);
    chmodSync(file, 0o644);
    expect(() => readSecretFile(file, "the webhook secret file")).toThrow(/may be read by others.*chmod 600/);
  });
});
