import { z } from "zod";
import { SHOWN_NAME_MAX } from "../allowlist/shown-name.js";

/**
 * The one map of every MQTT topic passgate publishes or reads, with the schema of each
 * payload (docs/mqtt.md). Builders take only config values (names validated as single
 * topic levels), so no topic here can contain a wildcard. Every inbound payload is parsed
 * with the schema beside its topic before anything acts on it.
 */

/** Upper bound of any payload passgate reads; larger ones are dropped unparsed. */
export const MAX_INBOUND_BYTES = 4096;

// ── The gate's own topics: <prefix>/<site>/<gate>/… ─────────────────────────────────────

export interface GateTopicIds {
  readonly prefix: string;
  readonly site: string;
  readonly gate: string;
}

export const GATE_COMMANDS = ["mode", "pulse", "open", "status"] as const;
export type GateCommand = (typeof GATE_COMMANDS)[number];

/** Topics of a whole site, for a service that is no one gate (the notifier, `passgate notify`). */
export function siteTopics(ids: Omit<GateTopicIds, "gate">) {
  return {
    /** Guardian notices for the site's notifier service: a gate's signed `GuardianNotice`. */
    notify: `${ids.prefix}/${ids.site}/notify`,
  } as const;
}

/** Topics of one gate and its site. */
export function gateTopics(ids: GateTopicIds) {
  const gate = `${ids.prefix}/${ids.site}/${ids.gate}`;
  const site = `${ids.prefix}/${ids.site}`;
  return {
    /** Retained `online` (birth) / `offline` (last will). */
    status: `${gate}/status`,
    /** Retained `GateStatePayload`. */
    state: `${gate}/state`,
    /** Every decision, passage and alarm: `GateEventPayload`. */
    event: `${gate}/event`,
    /** Commands to the gate (zigbee2mqtt bridge-request style); restrict publishers with broker ACLs. */
    request: (command: GateCommand) => `${gate}/request/${command}`,
    requestFilter: `${gate}/request/+`,
    response: (command: GateCommand) => `${gate}/response/${command}`,
    responseFilter: `${gate}/response/+`,
    /** Guardian notices for the site's notifier service (one topic per site: `siteTopics`). */
    notify: siteTopics(ids).notify,
    /** What a reader's display or LED ring shows after a scan: `ReaderFeedbackPayload`. */
    readerFeedback: (reader: string) => `${gate}/reader/${reader}/feedback`,
    /** The registry's push (registry-sync.md): the site's allowlist changed; pull now. Not prefixed: the registry's topic. */
    registryChanged: `pg/registry/${ids.site}/changed`,
    /**
     * Site-wide state shared between the gates of a site, each gate on topics of its own:
     * broker ACLs can then let a gate's account publish only its own records, and the
     * signature binds the record to them (docs/trust.md).
     */
    sharedReplay: sharedTopic(site, ids.gate, "replay"),
    sharedPassage: sharedTopic(site, ids.gate, "passage"),
    /** Every gate's shared records of the site. */
    sharedReplayFilter: sharedTopic(site, "+", "replay"),
    sharedPassageFilter: sharedTopic(site, "+", "passage"),
    /** This gate's signed `ZoneAlive`, every third of `partitionAfter` (daemon/site/zone-hearing.ts). */
    sharedAlive: sharedTopic(site, ids.gate, "alive"),
    sharedAliveFilter: sharedTopic(site, "+", "alive"),
    /** Every gate's retained `online` / `offline`: a gate that went offline is no longer waited for. */
    siteStatusFilter: `${site}/+/status`,
    /** A gate that (re)connected asks the others to send their live records again: `SharedCatchUp`. */
    sharedCatchUp: sharedTopic(site, ids.gate, "catch-up"),
    sharedCatchUpFilter: sharedTopic(site, "+", "catch-up"),
    /** Scans of a reader beside a turnstile, signed by its reader bridge (docs/trust.md). */
    readerScan: (reader: string) => `${gate}/reader/${reader}/scan`,
    /** The gate's signed answer to each of those scans: `BridgeAnswer`. */
    readerAnswer: (reader: string) => `${gate}/reader/${reader}/answer`,
    /** A reader bridge's own retained `online` / `offline` (its will), by its name. */
    bridgeStatus: (name: string) => `${gate}/bridge/${name}/status`,
    /** A reader bridge's retained state: readers, counts, last scan (docs/bridge.md). */
    bridgeState: (name: string) => `${gate}/bridge/${name}/state`,
    /** What a reader bridge played at its turnstile, for a display: the gate's answer or "try again". */
    bridgeDisplay: (name: string) => `${gate}/bridge/${name}/display`,
    /** Everything the gate's bridges publish about themselves. */
    bridgeFilter: `${gate}/bridge/#`,
  } as const;
}

function sharedTopic(site: string, gate: string, kind: "replay" | "passage" | "alive" | "catch-up"): string {
  return `${site}/shared/${gate}/${kind}`;
}

/** The gate a shared record's topic belongs to (`<prefix>/<site>/shared/<gate>/<kind>`). */
export function sharedTopicGate(topic: string): string | undefined {
  const levels = topic.split("/");
  return levels.length >= 2 && levels.at(-3) === "shared" ? levels.at(-2) : undefined;
}
export type GateTopics = ReturnType<typeof gateTopics>;

/** The command name of a request topic, or undefined when it is not one of ours. */
export function requestCommand(topics: GateTopics, topic: string): GateCommand | undefined {
  return GATE_COMMANDS.find((c) => topics.request(c) === topic);
}

export const STATUS_PAYLOADS = { online: "online", offline: "offline" } as const;

/** The registry's push payload: the version it now has. */
export const registryChangedSchema = z.object({ to: z.number().int().nonnegative() });

/** Published after every decision for the reader's display: never the scan text. */
export const readerFeedbackSchema = z.strictObject({
  reader: z.string(),
  result: z.enum(["granted", "denied"]),
  reason: z.string(),
  text: z.strictObject({ en: z.string(), ru: z.string() }),
  /** Epoch ms of the scan. */
  at: z.number(),
});
export type ReaderFeedbackPayload = z.infer<typeof readerFeedbackSchema>;

const GATE_MODE = z.enum(["normal", "lockdown", "free"]);

export const gateStateSchema = z.strictObject({
  gate: z.string(),
  mode: GATE_MODE,
  /** Epoch ms of the last mode change. */
  modeSince: z.number(),
  modeSource: z.string(),
  /** Relay id → whether its board is reachable. */
  relays: z.record(z.string(), z.boolean()),
  /** The gate's reader bridges (docs/bridge.md): paired or not, and their retained status. */
  bridges: z
    .array(
      z.strictObject({
        id: z.string(),
        paired: z.boolean(),
        status: z.enum(["online", "offline", "unknown"]),
      }),
    )
    .optional(),
  /** The gate's readers (local and bridged) and whether each delivers scans now. */
  readers: z
    .array(z.strictObject({ id: z.string(), direction: z.enum(["in", "out"]), connected: z.boolean() }))
    .optional(),
  /**
   * The allowlist in force: its version, the epoch ms of the last successful sync, and the
   * epoch ms the gate committed that version (how long a revocation took to reach it).
   */
  allowlist: z
    .strictObject({ version: z.number(), syncedAt: z.number().optional(), appliedAt: z.number().optional() })
    .optional(),
  /** Whether the gate's clock is NTP-synchronised; absent where the gate cannot tell. */
  clock: z.strictObject({ synced: z.boolean() }).optional(),
  at: z.number(),
});
export type GateStatePayload = z.infer<typeof gateStateSchema>;

/** A decision as published: credential id and person, never the scan text. */
export interface DecisionEventPayload {
  readonly type: "decision";
  readonly id: string | undefined;
  readonly seq: number | undefined;
  readonly at: number;
  readonly gate: string;
  readonly reader: string;
  readonly direction: "in" | "out";
  readonly credential: string | null;
  readonly person: string | null;
  readonly result: "granted" | "denied";
  readonly reason: string;
  readonly flags: readonly string[];
  /** The credential's `displayName` (at most 80 characters, control characters removed), when it has one. */
  readonly name?: string | undefined;
  /** The gate's own decision time, scan text to committed journal entry, µs. */
  readonly micros?: number | undefined;
}

/** Longest `name` on a decision event or a guardian notice, in UTF-16 units. */
export const EVENT_NAME_MAX = SHOWN_NAME_MAX;

/** A decision event as a reader of the event topic parses it. */
export const decisionEventSchema = z.object({
  type: z.literal("decision"),
  id: z.string().optional(),
  seq: z.number().int().optional(),
  at: z.number(),
  gate: z.string(),
  reader: z.string(),
  direction: z.enum(["in", "out"]),
  credential: z.string().nullable(),
  person: z.string().nullable(),
  result: z.enum(["granted", "denied"]),
  reason: z.string(),
  flags: z.array(z.string()),
  name: z.string().max(EVENT_NAME_MAX).optional(),
  micros: z.number().nonnegative().optional(),
});

export interface RelayEventPayload {
  readonly type: "relay";
  readonly at: number;
  readonly gate: string;
  readonly relay: string;
  readonly decisionId: string;
  readonly result: "opened" | "failed";
  readonly error?: string | undefined;
}
/** A grant's outcome at a gate with a rotation sensor, or a rotation nobody was granted. */
export interface PassageEventPayload {
  readonly type: "passage" | "alarm";
  readonly at: number;
  readonly gate: string;
  readonly reader: string;
  readonly direction: "in" | "out";
  /** passed / not_passed for a passage; forced_passage for an alarm. */
  readonly result: "passed" | "not_passed" | "forced_passage";
  /** The decision's journal id, for a passage. */
  readonly decisionId?: string | undefined;
  readonly person?: string | null | undefined;
}

/** Every alarm a gate publishes (`type: "alarm"`), docs/mqtt.md#events. */
export const ALARM_RESULTS = [
  "forced_passage",
  "database_corrupt",
  "bridge_offline",
  "relay_offline",
  "allowlist_stale",
  "clock_unsynced",
] as const;
export type AlarmResult = (typeof ALARM_RESULTS)[number];

/**
 * An alarm event as a reader of the event topic parses it. Which fields come with which
 * alarm: `reader` and `direction` with `forced_passage`; `bridge` with `bridge_offline`;
 * `relay` with `relay_offline`; `role`, `budgetMs`, `ageMs` with `allowlist_stale`;
 * `where`, `detail` with `database_corrupt`. Not strict: an alarm may gain detail.
 */
export const alarmEventSchema = z.object({
  type: z.literal("alarm"),
  at: z.number(),
  gate: z.string(),
  result: z.enum(ALARM_RESULTS),
  reader: z.string().optional(),
  direction: z.enum(["in", "out"]).optional(),
  bridge: z.string().optional(),
  relay: z.string().optional(),
  role: z.string().optional(),
  budgetMs: z.number().optional(),
  ageMs: z.number().nullable().optional(),
  where: z.string().optional(),
  detail: z.string().optional(),
});
export type AlarmEventPayload = z.infer<typeof alarmEventSchema>;

/** A lane opened once by an operator (`request/open`): who, for whom, why, and whether the relay confirmed. */
export const operatorOpenEventSchema = z.strictObject({
  type: z.literal("operator_open"),
  at: z.number(),
  gate: z.string(),
  relay: z.string(),
  /** The roster member who signed the request. */
  by: z.string(),
  /** The console's logged-in user, when the request named one. */
  user: z.string().optional(),
  reason: z.string(),
  result: z.enum(["opened", "failed"]),
  /** The RelayError code of a failed open. */
  error: z.string().optional(),
});
export type OperatorOpenEventPayload = z.infer<typeof operatorOpenEventSchema>;

export type GateEventPayload =
  | DecisionEventPayload
  | RelayEventPayload
  | PassageEventPayload
  | AlarmEventPayload
  | OperatorOpenEventPayload;

/**
 * A notice for the guardians of a person who passed a gate (no token, no credential secret):
 * the body of a signed message of the gate (`gate:<gate>`) on `<prefix>/<site>/notify`.
 * `id` is the journal entry id of the grant, so the notifier delivers each notice once.
 */
export const guardianNoticeSchema = z.strictObject({
  id: z.string().min(1).max(64),
  person: z.string().min(1).max(200),
  credential: z.string().max(32),
  gate: z.string().max(64),
  direction: z.enum(["in", "out"]),
  /** Epoch ms of the passage. */
  at: z.number().int(),
  /** The credential's `displayName`, at most 80 characters, control characters removed. */
  name: z.string().max(EVENT_NAME_MAX).optional(),
  /** The guardians' ids from the credential's allowlist record. */
  guardians: z.array(z.string().min(1).max(200)).min(1).max(16),
});
export type GuardianNotice = z.infer<typeof guardianNoticeSchema>;

/** An accepted (credential, step) pair, shared so no other gate of the site accepts it again. */
export const sharedReplaySchema = z.strictObject({
  gate: z.string().min(1).max(64),
  credential: z.string().regex(/^\d{1,20}$/),
  step: z.number().int().min(0),
  expiresAt: z.number().int(),
});
export type SharedReplay = z.infer<typeof sharedReplaySchema>;

/** A passage, shared so anti-passback holds across the site's gates. */
export const sharedPassageSchema = z.strictObject({
  gate: z.string().min(1).max(64),
  person: z.string().min(1).max(200),
  zone: z.string().min(1).max(64),
  direction: z.enum(["in", "out"]),
  at: z.number().int(),
});
export type SharedPassage = z.infer<typeof sharedPassageSchema>;

/** A gate's word that it hears the site, and in which anti-passback zone it stands. */
export const zoneAliveSchema = z.strictObject({
  gate: z.string().min(1).max(64),
  zone: z.string().min(1).max(64),
});
export type ZoneAlive = z.infer<typeof zoneAliveSchema>;

/** The gate of a status topic (`<prefix>/<site>/<gate>/status`). */
export function statusTopicGate(topic: string): string | undefined {
  const levels = topic.split("/");
  return levels.length >= 3 && levels.at(-1) === "status" ? levels.at(-2) : undefined;
}

/** A gate asking the site's other gates for their live records (it restarted or was cut off). */
export const sharedCatchUpSchema = z.strictObject({
  gate: z.string().min(1).max(64),
  /**
   * Epoch ms by the asking gate's clock: its link was down from then on, so only records
   * learned since (less the clock tolerance) are missing. Absent after a start: all of them.
   */
  since: z.number().int().min(0).optional(),
});
export type SharedCatchUp = z.infer<typeof sharedCatchUpSchema>;

/** A scan as a reader bridge sends it (the body of its signed message). */
export const bridgeScanSchema = z.strictObject({
  reader: z.string().min(1).max(64),
  /** The exact scan text. A live token: never logged, stored or published again. */
  text: z.string().max(4096),
  /** Epoch ms when the scanner delivered it to the bridge. */
  scannedAt: z.number().int().min(0),
  /** The bridge's own count of the scans it sent; echoed in the journal. */
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export type BridgeScan = z.infer<typeof bridgeScanSchema>;

/** The gate's answer to a bridged scan (the body of its signed message): a few hundred bytes. */
export const bridgeAnswerSchema = z.strictObject({
  reader: z.string().min(1).max(64),
  /** The `seq` of the scan it answers. */
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  result: z.enum(["granted", "denied"]),
  reason: z.string().max(64),
  text: z.strictObject({ en: z.string().max(120), ru: z.string().max(120) }),
});
export type BridgeAnswer = z.infer<typeof bridgeAnswerSchema>;

const transaction = z.union([z.string().max(64), z.number()]).optional();

/** Control (Cc) and format (Cf: bidi overrides, zero-width) characters: never in text a guard reads. */
const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}]/u;

/** The console's logged-in user who asked, journaled with the request: 1–64 printable characters. */
export const requestUserSchema = z
  .string()
  .min(1)
  .max(64)
  .refine((s) => !CONTROL_OR_FORMAT.test(s), "must not hold control characters");

/** Why a lane is opened by hand ("visitor, paper pass"): 3–120 characters, no control characters. */
export const openReasonSchema = z
  .string()
  .min(3, "must be 3–120 characters")
  .max(120, "must be 3–120 characters")
  .refine((s) => !CONTROL_OR_FORMAT.test(s), "must not hold control characters");

/** Request payloads by command; each may carry a `transaction` that the response echoes. */
export const requestSchemas = {
  /** `user`: the console's logged-in user, journaled with the change. */
  mode: z.strictObject({ mode: GATE_MODE, user: requestUserSchema.optional(), transaction }),
  /** Open a lane once for a person: pulses the relay as a grant would, journaled with who and why. */
  open: z.strictObject({
    relay: z.string().min(1).max(64),
    reason: openReasonSchema,
    user: requestUserSchema.optional(),
    transaction,
  }),
  /** `ms`: the test pulse length (default: the relay's configured pulse), 100 ms to 10 s. */
  pulse: z.strictObject({
    relay: z.string().max(64),
    ms: z.number().int().min(100).max(10_000).optional(),
    transaction,
  }),
  status: z.union([z.strictObject({ transaction }), z.literal("")]),
} as const;

/**
 * The `data` of an `ok` answer to `open`. In free passage every relay is already held open:
 * nothing is pulsed and `freePassage` says so.
 */
export const openResponseDataSchema = z.strictObject({
  relay: z.string(),
  result: z.literal("opened"),
  freePassage: z.literal(true).optional(),
});
export type OpenResponseData = z.infer<typeof openResponseDataSchema>;

export interface ResponsePayload {
  readonly status: "ok" | "error";
  readonly data: Readonly<Record<string, unknown>>;
  readonly error?: string;
  readonly transaction?: string | number | undefined;
}

// ── passgate's generic relay protocol: pgrelay/<device>/… ───────────────────────────────

export function genericRelayTopics(device: string, channel: number) {
  return {
    /** `GenericOpenCommand`, QoS 0, with an MQTT 5 message expiry. */
    command: `pgrelay/${device}/${channel}/open`,
    /** Retained `{"open": true|false}`: free passage holds the relay open until `false`. */
    hold: `pgrelay/${device}/${channel}/hold`,
    /** `GenericAck` from the device for each command it acted on or refused. */
    ack: `pgrelay/${device}/${channel}/ack`,
    /** Retained `online` / `offline` (the device's will). */
    availability: `pgrelay/${device}/status`,
  } as const;
}

export const genericOpenCommandSchema = z.strictObject({
  /** Unique per command: the device acts once per id. */
  id: z.string().min(1).max(64),
  /** How long to hold the relay, ms. */
  ms: z.number().int().min(1).max(60_000),
  /** Epoch ms when the gate issued it. */
  issuedAt: z.number().int(),
  /** Epoch ms after which the device must ignore it. */
  notAfter: z.number().int(),
});
export type GenericOpenCommand = z.infer<typeof genericOpenCommandSchema>;

export const genericHoldSchema = z.strictObject({ open: z.boolean() });

export const genericAckSchema = z.strictObject({
  id: z.string().min(1).max(64),
  result: z.enum(["opened", "late", "duplicate"]),
});
export type GenericAck = z.infer<typeof genericAckSchema>;

// ── Tasmota: cmnd/<topic>/…, stat/<topic>/…, tele/<topic>/LWT ────────────────────────────

export function tasmotaTopics(topic: string, channel: number) {
  return {
    power: `cmnd/${topic}/POWER${channel}`,
    pulseTime: `cmnd/${topic}/PulseTime${channel}`,
    /** `ON` / `OFF`. A one-relay device reports `POWER` as well as `POWER1`. */
    powerState: `stat/${topic}/POWER${channel}`,
    powerStateSingle: `stat/${topic}/POWER`,
    /** Retained `Online` / `Offline`. */
    lwt: `tele/${topic}/LWT`,
  } as const;
}
export const tasmotaPowerSchema = z.enum(["ON", "OFF"]);
export const tasmotaLwtSchema = z.enum(["Online", "Offline"]);

// ── Shelly Gen1: shellies/<id>/… ────────────────────────────────────────────────────────

export function shellyGen1Topics(id: string, channel: number) {
  return {
    /** `on` / `off`. */
    command: `shellies/${id}/relay/${channel}/command`,
    /** `on` / `off` (also `overpower`). */
    state: `shellies/${id}/relay/${channel}`,
    /** Retained `true` / `false`. */
    online: `shellies/${id}/online`,
  } as const;
}
export const shellyGen1StateSchema = z.enum(["on", "off", "overpower"]);
export const shellyOnlineSchema = z.enum(["true", "false"]);

// ── Shelly Gen2+: JSON-RPC on <id>/rpc, replies on <src>/rpc ────────────────────────────

export function shellyGen2Topics(id: string, src: string) {
  return {
    rpc: `${id}/rpc`,
    /** Replies to requests whose `src` is ours. */
    reply: `${src}/rpc`,
    /** Retained `true` / `false`. */
    online: `${id}/online`,
  } as const;
}

export const shellyRpcRequestSchema = z.strictObject({
  id: z.number().int(),
  src: z.string().min(1).max(128),
  method: z.string().min(1).max(64),
  params: z.record(z.string(), z.unknown()).optional(),
});
export type ShellyRpcRequest = z.infer<typeof shellyRpcRequestSchema>;

export const shellyRpcReplySchema = z.object({
  id: z.number().int(),
  src: z.string().max(128),
  dst: z.string().max(128).optional(),
  result: z.record(z.string(), z.unknown()).optional(),
  error: z.object({ code: z.number(), message: z.string().max(512) }).optional(),
});
