import type { Roster } from "../trust/roster.js";

/** What the gate knows of one of its reader bridges. */
export interface BridgeView {
  /** `bridge:<name>` */
  readonly id: string;
  /** Its retained status: online, offline (its will), or never seen. */
  readonly status: "online" | "offline" | "unknown";
  /** Whether an active bridge of this gate's roster has this id: only then are its scans taken. */
  readonly paired: boolean;
  /** Its readers as the roster gives them (paired) or as it reports them. */
  readonly readers: readonly string[];
  /** From its retained state, when it sent one: the last scan and its counts. */
  readonly lastScanAt: number | null;
  readonly scans: Readonly<Record<string, unknown>> | null;
  readonly version: string | null;
  /** Epoch ms of the last status or state heard. */
  readonly seenAt: number | null;
}

/** A bridge name as a topic level (its member id without `bridge:`). */
const NAME = /^[A-Za-z0-9._-]{1,64}$/;
/** Bridges remembered from the broker, beyond the roster's (a bound against made-up names). */
const MAX_UNKNOWN = 64;

/**
 * The gate's view of its reader bridges (docs/bridge.md): the roster's bridges for this gate
 * and what each says of itself on `<gate>/bridge/<name>/status|state`, so `status` can show
 * an unpaired bridge as such and a paired one that went offline raises an alarm. What a
 * bridge says of itself is informational only: it changes no decision.
 */
export class BridgeWatch {
  private readonly seen = new Map<
    string,
    { status: "online" | "offline"; state: Record<string, unknown> | null; at: number }
  >();

  constructor(
    private readonly gate: string,
    private readonly roster: () => Roster,
    /** Told when a paired bridge that was online goes offline (its will, or a clean stop). */
    private readonly onOffline: (id: string) => void,
    /** Told when any bridge's status changes (for the gate's retained state). */
    private readonly onStatusChange: () => void = () => {},
  ) {}

  /** A message on `<gate>/bridge/<name>/<kind>`. */
  heard(name: string, kind: string, payload: Buffer, now: number): void {
    if (!NAME.test(name) || payload.length > 4096) return;
    const id = `bridge:${name}`;
    if (!this.seen.has(id) && this.seen.size >= MAX_UNKNOWN && !this.isPaired(id)) return;
    const entry = this.seen.get(id) ?? { status: "offline" as const, state: null, at: now };
    if (kind === "status") {
      const text = payload.toString("utf8");
      if (text !== "online" && text !== "offline") return;
      const was = this.seen.get(id)?.status;
      this.seen.set(id, { ...entry, status: text, at: now });
      if (was === "online" && text === "offline" && this.isPaired(id)) this.onOffline(id);
      if (was !== text) this.onStatusChange();
    } else if (kind === "state") {
      let state: unknown;
      try {
        state = JSON.parse(payload.toString("utf8"));
      } catch {
        return;
      }
      if (typeof state !== "object" || state === null || Array.isArray(state)) return;
      this.seen.set(id, { ...entry, state: state as Record<string, unknown>, at: now });
    }
  }

  /** Every bridge of the roster for this gate, and every other one heard, by id. */
  views(): BridgeView[] {
    const paired = this.roster()
      .active("bridge")
      .filter((m) => m.gate === this.gate);
    const ids = new Set([...paired.map((m) => m.id), ...this.seen.keys()]);
    return [...ids].sort().map((id) => {
      const member = paired.find((m) => m.id === id);
      const heard = this.seen.get(id);
      const state = heard?.state ?? null;
      const num = (v: unknown) => (typeof v === "number" ? v : null);
      return {
        id,
        status: heard?.status ?? "unknown",
        paired: member !== undefined,
        readers:
          member?.readers ??
          (Array.isArray(state?.readers) ? [] : Object.keys((state?.readers as object) ?? {})),
        lastScanAt: num(state?.lastScanAt),
        scans:
          typeof state?.scans === "object" && state.scans !== null
            ? (state.scans as Record<string, unknown>)
            : null,
        version: typeof state?.version === "string" ? state.version : null,
        seenAt: heard?.at ?? null,
      };
    });
  }

  private isPaired(id: string): boolean {
    const m = this.roster().get(id)?.member;
    return m !== undefined && m.kind === "bridge" && m.status === "active" && m.gate === this.gate;
  }
}
