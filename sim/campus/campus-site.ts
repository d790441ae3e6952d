import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { RosterMember } from "../../daemon/trust/roster-member.js";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";
import { CampusBridge, campusBridgeConfig, makeBridgeKey, scannerPaths } from "./campus-bridge.js";
import { CAMPUS_SITE, type GatePlan, type LanePlan, writeGateConfig } from "./campus-config.js";
import { makeDeskOperator, type OperatorKey } from "./campus-desk.js";
import { CampusGate } from "./campus-gate.js";
import { makeCampusKeys, seedCampusRoster } from "./campus-trust.js";

/**
 * The campus's gates, not started: each gate's config and roster written, its lanes with
 * their devices, and a reader bridge on each bridged lane. The site's members are the
 * gates, the guard desk (an operator with the guard role, returned for the desk to sign
 * with), the bridges of the bridged lanes (each paired with its gate) and `members`.
 */
export function makeCampusGates(
  plans: readonly GatePlan[],
  options: {
    readonly brokerUrl: string;
    readonly protocolVersion: 4 | 5;
    readonly registryUrl: string;
    readonly registryPublicKey: string;
    readonly night: { readonly fromHour: number; readonly toHour: number };
    readonly members: readonly RosterMember[];
    readonly clock: Clock;
    readonly logger: Logger;
    /** A bridge played "try again" at a lane of `gate`. */
    readonly onTryAgain: (gate: string) => void;
  },
): { gates: CampusGate[]; desk: OperatorKey } {
  const { brokerUrl, protocolVersion, clock } = options;
  for (const plan of plans) mkdirSync(dirname(plan.configPath), { recursive: true });
  const desk = makeDeskOperator();
  const gateMembers = makeCampusKeys(plans);
  const bridgeKeys = new Map(
    plans.flatMap((plan) =>
      plan.lanes
        .filter((l) => l.bridged)
        .map((l) => [`${l.gate}/${l.reader}`, makeBridgeKey(plan, l)] as const),
    ),
  );
  const members = [
    ...gateMembers,
    desk.member,
    ...[...bridgeKeys.values()].map((k) => k.member),
    ...options.members,
  ];
  const makeBridge = (plan: GatePlan, gateKey: string) => (lane: LanePlan, gateClock: Clock) => {
    const key = bridgeKeys.get(`${lane.gate}/${lane.reader}`);
    if (key === undefined) return undefined;
    const config = campusBridgeConfig(plan, lane, {
      brokerUrl,
      protocolVersion,
      site: CAMPUS_SITE,
      gateKey,
      keyFile: key.keyFile,
    });
    return new CampusBridge(config, scannerPaths(plan, lane), {
      clock: gateClock,
      logger: options.logger.child({ gate: lane.gate, bridge: key.member.id }),
      onPlayed: (answer) => {
        if (!answer.answered) options.onTryAgain(lane.gate);
      },
    });
  };
  const gates = plans.map((plan) => {
    const config = writeGateConfig(plan, {
      brokerUrl,
      protocolVersion,
      registryUrl: options.registryUrl,
      registryKeyId: "sim-campus-registry",
      registryPublicKey: options.registryPublicKey,
      night: options.night,
    });
    seedCampusRoster(config, members, clock.now());
    const gateKey = gateMembers.find((m) => m.gate === plan.gate)?.publicKey ?? "";
    return new CampusGate(plan, config, brokerUrl, protocolVersion, clock, makeBridge(plan, gateKey));
  });
  return { gates, desk };
}
