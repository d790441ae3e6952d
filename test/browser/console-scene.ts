import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  exampleGate,
  runGate,
  SITE,
  trustMembers,
  watchTopics,
} from "../../app/testing/mqtt-gate-fixture.js";
import type { Config } from "../../config/schema.js";
import { UserStore } from "../../console/auth/user-store.js";
import { type RunningConsole, startConsole } from "../../console/console-app.js";
import { parseConsoleConfig } from "../../console/console-config.js";
import { openConsoleDatabase } from "../../console/store/console-database.js";
import { TestMosquitto, waitUntil } from "../../daemon/mqtt/testing/mosquitto.js";
import { publicKeyText } from "../../daemon/trust/key-file.js";
import type { RosterMember } from "../../daemon/trust/roster-member.js";
import { createLogger } from "../../platform/log/logger.js";
import { GenericRelayEmulator } from "../../sim/devices/generic-relay-emulator.js";
import { TurnstileEmulator } from "../../sim/devices/turnstile-emulator.js";

export { SITE };

/** The console's login for one role; the password is only ever typed into the page. */
export interface SceneUser {
  readonly username: string;
  readonly password: string;
}

export interface ConsoleSceneOptions {
  /** The site's zone, shown on every time of the page (default Asia/Vladivostok, UTC+10). */
  readonly timeZone?: string;
  /** How long a grant waits for its rotation before it is `not_passed` (default 10s). */
  readonly passageTimeout?: string;
  /** More gates of the site, each with its relay board (no rotation sensor): a fuller page. */
  readonly moreGates?: readonly string[];
}

/**
 * One gate's lane with everything the console sees of it, each a real peer: a mosquitto on
 * a free loopback port, the gate daemon (scans typed on its stdin reader "in"), the relay
 * board it opens (a generic relay emulator), the turnstile's rotation sensor, and the
 * console signing as `operator:console`, which is in the gate's roster with both roles so
 * the gate itself never refuses what the console lets an admin ask. The console has a guard
 * and an admin.
 */
export interface ConsoleScene {
  readonly broker: TestMosquitto;
  readonly gate: string;
  readonly gateConfig: Config;
  /** Types a scan's text at the gate's reader "in". */
  scan(text: string): void;
  /** Types a scan's text at reader "in" of one of `moreGates`. */
  scanAt(gate: string, text: string): void;
  readonly relay: GenericRelayEmulator;
  readonly turnstile: TurnstileEmulator;
  readonly console: RunningConsole;
  readonly guard: SceneUser;
  readonly admin: SceneUser;
  readonly timeZone: string;
  stop(): Promise<void>;
}

export const SCENE_GATE = "main-1";
export const SCENE_RELAY = "turnstile";
export const SCENE_SENSOR_TOPIC = `stat/ts-${SCENE_GATE}/SWITCH1`;

export async function startConsoleScene(options: ConsoleSceneOptions = {}): Promise<ConsoleScene> {
  const timeZone = options.timeZone ?? "Asia/Vladivostok";
  const dir = mkdtempSync(join(tmpdir(), "passgate-console-scene-"));
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const broker = await TestMosquitto.start();
    stops.push(() => broker.close());
    const relay = new GenericRelayEmulator(`relay-${SCENE_GATE}`);
    await relay.start(broker.url);
    stops.push(() => relay.stop());
    const turnstile = new TurnstileEmulator(SCENE_SENSOR_TOPIC);
    await turnstile.start(broker.url);
    stops.push(() => turnstile.stop());

    const { config: gateConfig } = await exampleGate({
      gate: SCENE_GATE,
      timezone: timeZone,
      mqtt: {
        url: broker.url,
        passage: [
          {
            reader: "in",
            topic: SCENE_SENSOR_TOPIC,
            payload: "ON",
            timeout: options.passageTimeout ?? "10s",
          },
        ],
        siteShare: false,
      },
      relays: [
        {
          id: SCENE_RELAY,
          reader: "in",
          driver: { type: "generic", device: `relay-${SCENE_GATE}` },
          pulse: "1s",
        },
      ],
    });
    const operatorKey = join(dir, "console-operator.key");
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    writeFileSync(operatorKey, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
    const operator: RosterMember = {
      id: "operator:console",
      kind: "operator",
      roles: ["guard", "admin"],
      publicKey: publicKeyText(publicKey),
      status: "active",
      displayName: "Guard's desk console",
    };
    trustMembers(gateConfig, [operator]);
    const running = await runGate(gateConfig);
    stops.push(() => running.stop());
    const others = new Map<string, (text: string) => void>();
    for (const gate of options.moreGates ?? []) {
      const board = new GenericRelayEmulator(`relay-${gate}`);
      await board.start(broker.url);
      stops.push(() => board.stop());
      const { config } = await exampleGate({
        gate,
        timezone: timeZone,
        mqtt: { url: broker.url, siteShare: false },
        relays: [{ id: SCENE_RELAY, reader: "in", driver: { type: "generic", device: `relay-${gate}` } }],
      });
      trustMembers(config, [operator]);
      const other = await runGate(config);
      stops.push(() => other.stop());
      others.set(gate, other.scan);
    }

    // The console starts once every gate has its relay board: a gate just started says its
    // relays are unreachable until the board's retained status reaches it, and a console
    // that read that state would raise a relay_offline alarm the tests did not cause.
    const states = await watchTopics(broker.url, `passgate/${SITE}/+/state`);
    try {
      const gates = [SCENE_GATE, ...(options.moreGates ?? [])];
      await waitUntil(
        () =>
          gates.every((gate) => {
            const last = states.json(`passgate/${SITE}/${gate}/state`).at(-1);
            return last !== undefined && Object.values(last.relays as Record<string, boolean>).every(Boolean);
          }),
        "every gate's relay board reachable",
      );
    } finally {
      await states.client.endAsync();
    }

    const consoleConfig = parseConsoleConfig({
      site: SITE,
      timeZone,
      mqtt: { url: broker.url },
      listen: "127.0.0.1:0",
      operator: { name: "console", keyFile: operatorKey },
      database: { path: join(dir, "console.db") },
    });
    const guard = { username: "vera", password: "guard-Пароль-1" };
    const admin = { username: "oleg", password: "admin-Пароль-2" };
    const db = openConsoleDatabase(consoleConfig.database.path);
    try {
      const users = new UserStore(db);
      await users.add(guard.username, "guard", guard.password, Date.now());
      await users.add(admin.username, "admin", admin.password, Date.now());
    } finally {
      db.close();
    }
    const consoleApp = await startConsole(consoleConfig, { logger: createLogger({ level: "silent" }) });
    stops.push(() => consoleApp.stop());
    return {
      broker,
      gate: SCENE_GATE,
      gateConfig,
      scan: running.scan,
      scanAt: (gate, text) => {
        const scan = others.get(gate);
        if (scan === undefined) throw new Error(`no gate ${gate} in this scene`);
        scan(text);
      },
      relay,
      turnstile,
      console: consoleApp,
      guard,
      admin,
      timeZone,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
