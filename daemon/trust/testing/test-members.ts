import { generateKeyPairSync } from "node:crypto";
import type { Clock } from "../../../platform/clock.js";
import { createLogger } from "../../../platform/log/logger.js";
import { publicKeyText } from "../key-file.js";
import { Roster } from "../roster.js";
import type { RosterMember } from "../roster-member.js";
import { type OwnSigner, SiteTrust } from "../site-trust.js";

/** A gate member with a fresh key: its roster entry and what it signs with. */
export function testGateMember(gate: string): { member: RosterMember; signer: OwnSigner } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const id = `gate:${gate}`;
  return {
    member: {
      id,
      kind: "gate",
      gate,
      publicKey: publicKeyText(publicKey),
      status: "active",
    },
    signer: { id, privateKey },
  };
}

/** An operator member with a fresh key. */
export function testOperatorMember(
  name: string,
  roles: readonly ("guard" | "admin")[],
  gates?: readonly string[],
): { member: RosterMember; signer: OwnSigner } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const id = `operator:${name}`;
  return {
    member: {
      id,
      kind: "operator",
      roles: [...roles],
      ...(gates === undefined ? {} : { gates: [...gates] }),
      publicKey: publicKeyText(publicKey),
      status: "active",
    },
    signer: { id, privateKey },
  };
}

/** A SiteTrust over a fixed roster, for tests of the parts that use one. */
export function testSiteTrust(options: {
  readonly members: readonly RosterMember[];
  readonly signer?: OwnSigner;
  readonly clock: Clock;
  readonly acceptUnsigned?: boolean;
  readonly freshnessMs?: number;
}): SiteTrust {
  const roster = new Roster(options.members);
  return new SiteTrust({
    roster: () => roster,
    signer: options.signer,
    freshnessMs: options.freshnessMs ?? 30_000,
    acceptUnsigned: options.acceptUnsigned ?? false,
    clock: options.clock,
    logger: createLogger({ level: "silent" }),
  });
}
