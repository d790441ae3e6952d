import type { Journal } from "../daemon/journal/journal.js";
import { alarmRecord } from "../daemon/journal/journal-entry.js";
import type { GateMqtt } from "../daemon/mqtt/gate-mqtt.js";
import type { MqttConnection } from "../daemon/mqtt/mqtt-connection.js";
import type { CorruptionFinding } from "../platform/database/corruption.js";
import { describeError } from "../platform/log/describe-error.js";
import type { Logger } from "../platform/log/logger.js";

/**
 * Raises the `database_corrupt` alarm for a damaged database: journaled (if the journal's
 * pages still take a write: the file is damaged, so this may fail, which is logged) and
 * published as an event, so the guard and monitoring learn of it even when nobody scans.
 * Found at start, before the broker answered: the event goes out on the first connect.
 */
export function raiseDatabaseAlarm(
  finding: CorruptionFinding,
  deps: {
    readonly gate: string;
    readonly journal: Journal;
    readonly events: GateMqtt | undefined;
    readonly connection: MqttConnection | undefined;
    readonly logger: Logger;
  },
): void {
  const { gate, journal, events, connection, logger } = deps;
  const data = { where: finding.where, detail: finding.detail };
  try {
    journal.append(alarmRecord({ at: finding.at, gate, reason: "database_corrupt", data }));
  } catch (err) {
    logger.error(
      { component: "storage", err: describeError(err) },
      "the database_corrupt alarm could not be journaled (the damage may reach the journal)",
    );
  }
  if (events === undefined || connection === undefined) return;
  const publish = () =>
    events.publishEvent({ type: "alarm", at: finding.at, gate, result: "database_corrupt", ...data });
  if (connection.connected) {
    publish();
    return;
  }
  const off = connection.onConnection((up) => {
    if (!up) return;
    off();
    publish();
  });
}
