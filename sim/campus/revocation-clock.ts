import type { RevocationSummary } from "./summary.js";
import { percentile } from "./summary.js";

/**
 * How long each revocation took to take effect at each gate: from the registry's change to
 * the gate's commit of a version that holds it (the `allowlist.appliedAt` of the gate's
 * retained state). Pure bookkeeping; times (epoch ms) are passed in.
 *
 * A gate's state goes out at most once a second, so it may skip a version: then the next
 * version it reports stands for the revocation too, which can only make a sample longer,
 * never shorter. A change made while the registry is away counts from its return: no gate
 * could have it before.
 */
export class RevocationClock {
  private readonly revocations: { readonly version: number; start: number | undefined }[] = [];
  /** Per gate, the versions it reported with when each was applied, in the order seen. */
  private readonly applied = new Map<string, { version: number; at: number }[]>();
  private registryAway = false;

  /** The registry made `version`, revoking someone, at `at`. */
  revoked(version: number, at: number): void {
    this.revocations.push({ version, start: this.registryAway ? undefined : at });
  }

  /** The registry can serve no one from now on (the registry_down fault). */
  registryDown(): void {
    this.registryAway = true;
  }

  /** The registry serves again: changes made while it was away count from `at`. */
  registryUp(at: number): void {
    this.registryAway = false;
    for (const r of this.revocations) r.start ??= at;
  }

  /** A gate reported `version` in force, applied at `appliedAt`. */
  reported(gate: string, version: number, appliedAt: number): void {
    const seen = this.applied.get(gate) ?? [];
    const last = seen[seen.length - 1];
    if (last !== undefined && last.version >= version) return;
    seen.push({ version, at: appliedAt });
    this.applied.set(gate, seen);
  }

  /** p50, p99 and max over every (revocation, gate) pair seen applied; `gates` that applied them all. */
  summary(gates: readonly string[]): RevocationSummary {
    const samples: number[] = [];
    let complete = 0;
    for (const gate of gates) {
      const seen = this.applied.get(gate) ?? [];
      let all = this.revocations.length > 0;
      for (const r of this.revocations) {
        const hit = seen.find((s) => s.version >= r.version);
        if (hit === undefined || r.start === undefined) {
          all = false;
          continue;
        }
        // Same machine, same clock; a gate that pulled within the same millisecond is 0, not less.
        samples.push(Math.max(0, hit.at - r.start));
      }
      if (all) complete++;
    }
    samples.sort((a, b) => a - b);
    return {
      p50: percentile(samples, 0.5),
      p99: percentile(samples, 0.99),
      max: samples.length === 0 ? 0 : (samples[samples.length - 1] as number),
      gates: complete,
      revocations: this.revocations.length,
    };
  }
}
