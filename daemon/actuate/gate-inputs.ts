import { z } from "zod";
import type { Config, ReaderConfig } from "../../config/schema.js";
import type { ScanOutcome } from "../gate/gate.js";
import type { GateMqtt } from "../mqtt/gate-mqtt.js";
import { type PassageOutcome, PassageTracker } from "../passage/passage-tracker.js";
import { SiteShare } from "../site/site-share.js";
import { PresenceStore } from "../state/presence-store.js";
import { ReplayGuard, replayExpiry } from "../state/replay-guard.js";
import type { GateModeControl } from "./gate-mode-control.js";
import type { ActuationDeps } from "./start-actuation.js";

const inputPayload = z.string().max(64);

/**
 * The gate's MQTT inputs and site links: rotation sensors (passage confirmation), the
 * fire-alarm input, guardian notices and site-wide state sharing.
 */
export function setUpInputs(
  config: Config,
  deps: ActuationDeps,
  modes: GateModeControl,
  gateMqtt: GateMqtt | undefined,
) {
  const connection = deps.mqtt?.connection;
  const mqttConfig = config.mqtt;
  const zone = config.policy.zone;
  const log = deps.logger.child({ component: "passage" });
  const unsubscribes: (() => void)[] = [];
  const site =
    connection !== undefined && gateMqtt !== undefined && mqttConfig?.siteShare === true
      ? new SiteShare(connection, gateMqtt.topics, {
          gate: config.gate,
          replay: new ReplayGuard(deps.db),
          presence: new PresenceStore(deps.db),
          clock: deps.clock,
          logger: deps.logger.child({ component: "site" }),
        })
      : undefined;
  site?.start();

  const notifyIfAsked = (
    credential: string | null,
    person: string | null,
    direction: "in" | "out",
    at: number,
  ) => {
    if (credential === null || person === null || gateMqtt === undefined || connection === undefined) return;
    if (deps.allowlist.get(credential)?.notifyGuardians !== true) return;
    const notice = { person, credential, gate: config.gate, direction, at };
    if (!connection.publish(gateMqtt.topics.notify, JSON.stringify(notice), { qos: 1 })) {
      log.warn({ credential }, "guardian notice not sent: broker unreachable");
    }
  };

  const report = (outcome: PassageOutcome) => {
    if (outcome.result === "forced_passage") {
      gateMqtt?.publishEvent({
        type: "alarm",
        at: outcome.at,
        gate: config.gate,
        reader: outcome.reader,
        direction: outcome.direction,
        result: outcome.result,
      });
      return;
    }
    const { grant } = outcome;
    gateMqtt?.publishEvent({
      type: "passage",
      at: outcome.at,
      gate: config.gate,
      reader: grant.reader,
      direction: grant.direction,
      result: outcome.result,
      decisionId: grant.decisionId,
      person: grant.person,
    });
    if (outcome.result !== "passed") return;
    if (grant.person !== null) site?.sharePassage(grant.person, zone, grant.direction, outcome.at);
    notifyIfAsked(grant.credential, grant.person, grant.direction, outcome.at);
  };

  const sensors = mqttConfig?.passage ?? [];
  const passages =
    sensors.length === 0
      ? undefined
      : new PassageTracker(
          { gate: config.gate, zone, timeouts: new Map(sensors.map((s) => [s.reader, s.timeout])) },
          { ...deps, presence: new PresenceStore(deps.db), logger: log, report },
        );
  if (connection !== undefined) {
    for (const sensor of sensors) {
      const reader = config.readers.find((r) => r.id === sensor.reader);
      if (reader === undefined) {
        log.error({ reader: sensor.reader }, "passage sensor names no configured reader; ignored");
        continue;
      }
      unsubscribes.push(
        connection.subscribeParsed(sensor.topic, "text", inputPayload, "passage-input", (_t, v) => {
          if (v === sensor.payload) passages?.rotated(reader.id, reader.direction);
        }),
      );
    }
    const alarm = mqttConfig?.fireAlarm;
    if (alarm !== undefined) {
      unsubscribes.push(
        connection.subscribeParsed(alarm.topic, "text", inputPayload, "fire-alarm", (_t, v) => {
          if (v === alarm.active) modes.set("free", "fire-alarm");
          else if (v === alarm.inactive) {
            // Only the alarm's own free passage ends with it; a mode someone set stays.
            const now = modes.current();
            if (now.mode === "free" && now.source === "fire-alarm") modes.set("normal", "fire-alarm");
          }
        }),
      );
    }
  }

  return {
    passages,
    granted(outcome: ScanOutcome, reader: ReaderConfig) {
      const entry = outcome.entry;
      if (entry === undefined) return;
      const credential = outcome.credential === null ? undefined : deps.allowlist.get(outcome.credential);
      const verified = !outcome.decision.flags.includes("unverified");
      if (site !== undefined && credential !== undefined && entry.step !== null && verified) {
        const period = credential.scheme === "totp" ? credential.totp.period : credential.ed25519.period;
        site.shareReplay(credential.id, entry.step, replayExpiry(entry.step, period, config.token.window));
      }
      if (passages?.senses(reader.id) === true) {
        passages.granted({
          decisionId: entry.id,
          reader: reader.id,
          direction: reader.direction,
          credential: outcome.credential,
          person: outcome.person,
          at: entry.at,
        });
        return;
      }
      // No sensor: the grant is the passage (as Gate recorded it).
      if (outcome.person !== null && outcome.decision.reason === "ok") {
        site?.sharePassage(outcome.person, zone, reader.direction, entry.at);
      }
      notifyIfAsked(outcome.credential, outcome.person, reader.direction, entry.at);
    },
    stop() {
      for (const u of unsubscribes.splice(0)) u();
      passages?.stop();
      site?.stop();
    },
  };
}
