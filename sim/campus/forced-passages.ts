/** An alarm is taken for a forced rotation at its lane made at most this long before it. */
const ALARM_WITHIN_MS = 30_000;

/**
 * The campus's forced rotations (a turnstile turned with no grant waiting) and the gates'
 * `forced_passage` alarms, matched lane by lane: each alarm goes to the oldest forced
 * rotation at its lane not yet alarmed, made within 30 s before it. An alarm with none is a
 * false alarm: a passage the gate took for a forced one (on an overloaded machine, a rotation
 * that came after the gate's passage timeout), which a guard would be sent to for nothing.
 */
export class ForcedPassages {
  private readonly waiting = new Map<string, number[]>();
  rotations = 0;
  alarms = 0;
  falseAlarms = 0;

  /** A forced rotation at `gate`/`reader`, real time `at`. */
  rotated(gate: string, reader: string, at: number): void {
    this.rotations++;
    const key = `${gate}/${reader}`;
    const times = this.waiting.get(key) ?? [];
    times.push(at);
    this.waiting.set(key, times);
  }

  /** A gate's `forced_passage` alarm at `gate`/`reader`, heard at real time `at`. */
  alarmed(gate: string, reader: string, at: number): void {
    const times = this.waiting.get(`${gate}/${reader}`) ?? [];
    while (times.length > 0 && (times[0] as number) < at - ALARM_WITHIN_MS) times.shift();
    if (times.length > 0 && (times[0] as number) <= at) {
      times.shift();
      this.alarms++;
    } else this.falseAlarms++;
  }
}
