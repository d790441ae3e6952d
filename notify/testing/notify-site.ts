import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { keyFingerprint } from "../../daemon/trust/key-file.js";
import type { RosterMember } from "../../daemon/trust/roster-member.js";
import { signMessage } from "../../daemon/trust/signed-message.js";
import type { OwnSigner } from "../../daemon/trust/site-trust.js";
import { testGateMember } from "../../daemon/trust/testing/test-members.js";
import { noticeTopic } from "../notice.js";

export const SITE = "school-7";
export const WEBHOOK_SECRET = Buffer.from("a-webhook-secret-of-32-bytes-abc");

/** A guardian as the guardians file lists it. */
export interface GuardianEntry {
  readonly id: string;
  readonly name: string;
  readonly consent: boolean;
  readonly email?: string;
  readonly webhook?: { readonly url: string };
}

/**
 * A site for the notifier's tests: a folder with its config, guardians file, the gates'
 * roster as `passgate trust list --json` prints it and the webhook secret (0600); the gates'
 * keys, and an MQTT client that publishes signed notices on a real broker.
 */
export class NotifySite {
  readonly dir = mkdtempSync(join(tmpdir(), "passgate-notify-"));
  readonly gates = new Map<string, { member: RosterMember; signer: OwnSigner }>();
  private publisher: MqttClient | undefined;

  /**
   * `gates`: test gates whose keys this site holds (`sign`). `site`: the site the notifier's
   * config names, as a real gate's config does in the end-to-end test.
   */
  constructor(
    private readonly brokerUrl: string,
    gates: readonly string[] = ["main-1", "side-2"],
    readonly site: string = SITE,
  ) {
    for (const gate of gates) this.gates.set(gate, testGateMember(gate));
  }

  get topic(): string {
    return noticeTopic("passgate", this.site);
  }

  get configFile(): string {
    return join(this.dir, "notify.yaml");
  }

  /**
   * Writes every file; `smtpPort` and `extra` (YAML lines under the top level) as the test
   * needs. `roster`: the gates' roster as a real gate's `passgate trust list --json` printed
   * it; without it, one made of this site's test gates.
   */
  write(options: {
    readonly guardians: readonly GuardianEntry[];
    readonly smtpPort?: number;
    readonly extra?: readonly string[];
    readonly roster?: string;
  }): string {
    const members = [...this.gates.values()].map(({ member }) => ({
      ...member,
      fingerprint: keyFingerprint(member.publicKey),
      origin: "local",
      addedAt: new Date(0).toISOString(),
    }));
    writeFileSync(
      join(this.dir, "roster.json"),
      options.roster ?? JSON.stringify({ version: null, members }, null, 2),
    );
    writeFileSync(join(this.dir, "webhook.secret"), `${WEBHOOK_SECRET.toString()}\n`, { mode: 0o600 });
    writeFileSync(
      join(this.dir, "guardians.yaml"),
      `guardians:\n${options.guardians.map((g) => `  - ${JSON.stringify(g)}`).join("\n")}\n`,
    );
    const lines = [
      `site: ${this.site}`,
      "mqtt:",
      `  url: ${this.brokerUrl}`,
      "  reconnectMin: 100ms",
      "  reconnectMax: 500ms",
      "timeZone: Europe/Moscow",
      "gates: roster.json",
      "database: notify.db",
      "guardians: guardians.yaml",
      ...(options.smtpPort === undefined
        ? []
        : [
            "smtp:",
            "  host: 127.0.0.1",
            `  port: ${options.smtpPort}`,
            "  requireTls: false",
            '  from: "Школа 7 <gate@school7.example>"',
          ]),
      "webhook:",
      "  secretFile: webhook.secret",
      "delivery:",
      "  timeout: 3s",
      "  retryFirst: 200ms",
      "  retryMax: 1s",
      ...(options.extra ?? []),
      "",
    ];
    writeFileSync(this.configFile, lines.join("\n"));
    return this.configFile;
  }

  /** A notice body with a fresh id, passing `main-1` now, for guardians p-77 and p-78. */
  body(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      id: randomUUID(),
      person: "p-2001",
      credential: "2001",
      gate: "main-1",
      direction: "in",
      at: Date.now(),
      name: "Иванов Петя",
      guardians: ["p-77", "p-78"],
      ...overrides,
    };
  }

  /** The signed notice of `body` by `gate`'s key (default: the gate the body names). */
  sign(body: Record<string, unknown>, options: { gate?: string; at?: number; topic?: string } = {}): string {
    const gate = this.gates.get(options.gate ?? String(body.gate));
    if (gate === undefined) throw new Error("no such test gate");
    return JSON.stringify(
      signMessage({
        topic: options.topic ?? this.topic,
        signer: gate.signer.id,
        privateKey: gate.signer.privateKey,
        body,
        at: options.at ?? Date.now(),
      }),
    );
  }

  /** Publishes `payload` on the notice topic with QoS 1, as a gate does. */
  async publish(payload: string): Promise<void> {
    this.publisher ??= await connectAsync(this.brokerUrl, {
      clientId: `test-gate-${process.pid}-${Date.now()}`,
    });
    await this.publisher.publishAsync(this.topic, payload, { qos: 1 });
  }

  async close(): Promise<void> {
    await this.publisher?.endAsync();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
