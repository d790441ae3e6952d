import { type Config, syncedRegistry } from "../../config/schema.js";
import { gateClientId } from "../../daemon/mqtt/mqtt-client-options.js";
import { type GateCommand, gateTopics } from "../../daemon/mqtt/topics.js";
import type { RosterMember } from "../../daemon/trust/roster-member.js";
import { type BoardUse, boardAccess, inputDevice } from "./board-access.js";
import { BrokerAclError, checkAccountName, checkExactTopic, checkLevel, topicMatches } from "./topic-text.js";

/** Who an account is. */
export type AccountKind = "gate" | "bridge" | "operator" | "board" | "registry";

/**
 * One broker account (MQTT username) and exactly what it may do: the topics it may publish
 * on and the filters it may subscribe to and receive from. Nothing else is allowed.
 */
export interface BrokerAccount {
  readonly name: string;
  readonly kind: AccountKind;
  /** What it is for, in words, one entry per use (a board may drive a relay and carry a sensor). */
  readonly uses: readonly string[];
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
}

/** A roster member that gets no account, and why. */
export interface SkippedMember {
  readonly member: string;
  readonly reason: string;
}

export interface SiteAccounts {
  readonly site: string;
  readonly accounts: readonly BrokerAccount[];
  readonly skipped: readonly SkippedMember[];
}

/** What of a gate's config decides its broker access. */
export type GateAclConfig = Pick<Config, "site" | "gate" | "mqtt" | "relays" | "readers" | "registry">;

/** The account name of each kind: predictable, so a config can name it before the files exist. */
export const accountName = {
  gate: (gate: string) => `gate-${gate}`,
  bridge: (member: string) => `bridge-${member}`,
  operator: (member: string) => `operator-${member}`,
  board: (device: string) => `board-${device}`,
  registry: "registry",
} as const;

/** The commands an operator's roles allow (docs/trust.md): a guard test-pulses, opens a lane once and looks; an admin also sets modes. */
const OPERATOR_COMMANDS: Record<string, readonly GateCommand[]> = {
  guard: ["pulse", "open", "status"],
  admin: ["mode", "pulse", "open", "status"],
};

class AccountSet {
  private readonly accounts = new Map<
    string,
    { kind: AccountKind; uses: Set<string>; publish: Set<string>; subscribe: Set<string>; device?: string }
  >();
  /** Topics only one account may publish on (a board's state and will, an input, a gate's own records). */
  readonly owned = new Map<string, string>();

  grant(
    name: string,
    kind: AccountKind,
    use: string,
    access: { publish?: readonly string[]; subscribe?: readonly string[]; owns?: readonly string[] },
    deviceType?: string,
  ): void {
    checkAccountName(name, use);
    let account = this.accounts.get(name);
    if (account === undefined) {
      account = { kind, uses: new Set(), publish: new Set(), subscribe: new Set() };
      if (deviceType !== undefined) account.device = deviceType;
      this.accounts.set(name, account);
    } else if (account.kind !== kind) {
      throw new BrokerAclError(
        `${use} and a ${account.kind} would both be the account ${name}: rename one of them`,
      );
    } else if (deviceType !== undefined && account.device !== undefined && account.device !== deviceType) {
      throw new BrokerAclError(
        `${use} and a ${account.device} board would both be the account ${name}: two boards of different kinds need different names`,
      );
    } else if (deviceType !== undefined) {
      account.device = deviceType;
    }
    account.uses.add(use);
    for (const t of access.publish ?? []) account.publish.add(t);
    for (const t of access.subscribe ?? []) account.subscribe.add(t);
    for (const t of access.owns ?? []) {
      const owner = this.owned.get(t);
      if (owner !== undefined && owner !== name)
        throw new BrokerAclError(
          `${use} publishes on ${t}, which ${owner} publishes on too: one topic, one publisher`,
        );
      this.owned.set(t, name);
      account.publish.add(t);
    }
  }

  has(name: string): boolean {
    return this.accounts.has(name);
  }

  /** Every account, sorted by kind then name; then checks no account may publish another's own topics. */
  list(): BrokerAccount[] {
    const order: AccountKind[] = ["gate", "bridge", "operator", "board", "registry"];
    const out = [...this.accounts.entries()]
      .map(([name, a]) => ({
        name,
        kind: a.kind,
        uses: [...a.uses],
        publish: [...a.publish].sort(),
        subscribe: [...a.subscribe].sort(),
      }))
      .sort((x, y) => order.indexOf(x.kind) - order.indexOf(y.kind) || x.name.localeCompare(y.name));
    for (const account of out) {
      for (const filter of account.publish) {
        for (const [topic, owner] of this.owned) {
          if (owner !== account.name && topicMatches(filter, topic))
            throw new BrokerAclError(
              `${account.name} would be allowed to publish on ${topic} (through ${filter}), which only ${owner} may publish on: give the devices distinct topics`,
            );
        }
      }
    }
    return out;
  }
}

/** The local part of a member id: `bridge:t3` → `t3` (the kind's own prefix is dropped). */
function memberLocal(member: RosterMember): string {
  const prefix = `${member.kind}:`;
  return member.id.startsWith(prefix) ? member.id.slice(prefix.length) : member.id;
}

/**
 * Every broker account of a site, with least privilege (docs/mqtt.md, "The site's
 * broker"): one per gate (from its config), reader bridge and operator (from the roster:
 * active members only), relay or input board (from the gates' relays, rotation sensors,
 * fire-alarm input and firmware readers), and the registry's push when a gate uses a
 * registry. Throws `BrokerAclError` with the reason when a name or topic cannot be written
 * safely, when the gates are of different sites, or when two accounts would publish on
 * one device's topic.
 */
export function siteAccounts(
  gates: readonly GateAclConfig[],
  members: readonly RosterMember[],
): SiteAccounts {
  const first = gates[0];
  if (first === undefined)
    throw new BrokerAclError("no gate config given: pass --gate FILE for each gate of the site");
  const site = checkLevel(first.site, "site");
  const set = new AccountSet();
  const prefixes = new Map<string, string>();

  for (const config of gates) {
    if (config.site !== site)
      throw new BrokerAclError(
        `gate ${config.gate} is of site ${config.site}, not ${site}: one site's broker, one site's gates`,
      );
    const gate = checkLevel(config.gate, "gate");
    if (prefixes.has(gate)) throw new BrokerAclError(`gate ${gate} is given twice`);
    const mqtt = config.mqtt;
    if (mqtt === undefined)
      throw new BrokerAclError(`gate ${gate} has no mqtt: section: it does not use the broker`);
    const prefix = checkLevel(mqtt.topicPrefix, `mqtt.topicPrefix of gate ${gate}`);
    prefixes.set(gate, prefix);
    addGate(set, config, prefix);
  }

  const skipped: SkippedMember[] = [];
  const allGates = [...prefixes.keys()];
  for (const member of members) {
    if (member.kind === "gate") continue; // a gate's account comes from its config
    if (member.status !== "active") {
      skipped.push({ member: member.id, reason: "revoked" });
      continue;
    }
    const local = memberLocal(member);
    if (member.kind === "bridge") {
      const gate = member.gate ?? "";
      const prefix = prefixes.get(gate);
      if (prefix === undefined) {
        skipped.push({ member: member.id, reason: `feeds gate ${gate}, whose config was not given` });
        continue;
      }
      const name = checkAccountName(accountName.bridge(local), `roster member ${member.id}`);
      const t = gateTopics({ prefix, site, gate });
      const readers = (member.readers ?? []).map((r) => checkLevel(r, "reader"));
      const level = checkLevel(local, `roster member ${member.id}`);
      set.grant(name, "bridge", `reader bridge ${member.id} of gate ${gate}`, {
        owns: [t.bridgeStatus(level), t.bridgeState(level), t.bridgeDisplay(level)],
        publish: readers.map((r) => t.readerScan(r)),
        subscribe: [...readers.map((r) => t.readerAnswer(r)), ...readers.map((r) => t.readerFeedback(r))],
      });
      continue;
    }
    const served = member.gates === undefined ? allGates : member.gates.filter((g) => prefixes.has(g));
    if (served.length === 0) {
      skipped.push({ member: member.id, reason: "serves no gate whose config was given" });
      continue;
    }
    const name = checkAccountName(accountName.operator(local), `roster member ${member.id}`);
    const commands = [...new Set((member.roles ?? []).flatMap((r) => OPERATOR_COMMANDS[r] ?? []))];
    for (const gate of served) {
      const t = gateTopics({ prefix: prefixes.get(gate) ?? "", site, gate });
      set.grant(
        name,
        "operator",
        `operator ${member.id} (${(member.roles ?? []).join(", ")}) of gate ${gate}`,
        {
          publish: commands.map((c) => t.request(c)),
          subscribe: [t.status, t.state, t.event, ...commands.map((c) => t.response(c))],
        },
      );
    }
  }

  if (gates.some((g) => syncedRegistry(g) !== undefined)) {
    const registryChanged = gateTopics({ prefix: "", site, gate: first.gate }).registryChanged;
    set.grant(accountName.registry, "registry", `the registry's push to site ${site}`, {
      owns: [registryChanged],
    });
  }
  return { site, accounts: set.list(), skipped };
}

function addGate(set: AccountSet, config: GateAclConfig, prefix: string): void {
  const { site, gate } = config;
  const mqtt = config.mqtt;
  if (mqtt === undefined) return;
  const t = gateTopics({ prefix, site, gate });
  const name = accountName.gate(gate);
  const use = `gate ${gate}`;
  const clientId = checkLevel(gateClientId(mqtt, site, gate), `the MQTT client id of gate ${gate}`);
  set.grant(name, "gate", use, {
    owns: [t.status, t.state, t.event, t.sharedReplay, t.sharedPassage, t.sharedAlive, t.sharedCatchUp],
    publish: [
      t.responseFilter,
      t.readerFeedback("+"),
      t.readerAnswer("+"),
      t.notify,
      // `passgate relay test --operator` on the gate asks the running gate with the gate's account.
      t.request("pulse"),
    ],
    subscribe: [
      t.requestFilter,
      t.readerScan("+"),
      t.bridgeFilter,
      t.sharedReplayFilter,
      t.sharedPassageFilter,
      // Fail-closed anti-passback: which gates of the zone are alive, and which went offline.
      t.sharedAliveFilter,
      t.siteStatusFilter,
      t.sharedCatchUpFilter,
      // `passgate relay test` looks whether the gate runs and waits for its answer.
      t.status,
      t.response("pulse"),
      ...(syncedRegistry(config) !== undefined ? [t.registryChanged] : []),
    ],
  });

  const uses: BoardUse[] = [];
  for (const relay of config.relays) {
    if (relay.driver.type === "log") continue;
    uses.push({ driver: relay.driver, gateClientId: clientId, use: `relay ${relay.id} of gate ${gate}` });
  }
  for (const use of uses) {
    const access = boardAccess(use);
    const device = checkLevel(access.device, `${use.use}: the device`);
    set.grant(name, "gate", use.use, {
      publish: access.commands,
      subscribe: [...access.states, ...access.replies],
    });
    set.grant(
      accountName.board(device),
      "board",
      `${use.driver.type} board ${device}: ${use.use}`,
      { owns: access.states, publish: access.replies, subscribe: access.commandFilters },
      use.driver.type,
    );
  }

  const inputs: { topic: string; use: string }[] = [
    ...mqtt.passage.map((p) => ({
      topic: p.topic,
      use: `rotation sensor of reader ${p.reader} of gate ${gate}`,
    })),
    ...(mqtt.fireAlarm === undefined
      ? []
      : [{ topic: mqtt.fireAlarm.topic, use: `fire-alarm input of gate ${gate}` }]),
    ...config.readers.flatMap((r) =>
      r.source.type === "mqtt"
        ? [{ topic: r.source.topic, use: `firmware reader ${r.id} of gate ${gate}` }]
        : [],
    ),
  ];
  for (const input of inputs) {
    const topic = checkExactTopic(input.topic, `the topic of the ${input.use}`);
    const device = checkLevel(inputDevice(topic), `${input.use}: the device of ${topic}`);
    set.grant(name, "gate", input.use, { subscribe: [topic] });
    set.grant(accountName.board(device), "board", `input board ${device}: ${input.use}`, { owns: [topic] });
  }
}
