import type { RegistryServer } from "../registry/registry-server.js";
import type { CampusEvent } from "./campus-events.js";
import { type CampusPerson, generatePopulation, makePerson, type PersonKind } from "./population.js";
import type { SeededRandom } from "./rng.js";
import type { CredentialHistory } from "./scenarios.js";

/**
 * The campus's registry driven while it runs: the population, each credential's history
 * (the version that added it and the one that revoked it, for the expected answers), and
 * the push after each change.
 */
export class CampusRegistry {
  readonly byKind = new Map<PersonKind, CampusPerson[]>();
  readonly revokedLive: CampusPerson[] = [];
  readonly addedVisitors: CampusPerson[] = [];
  private readonly people = new Map<string, CampusPerson>();
  private readonly histories = new Map<string, { addedIn: number; revokedIn?: number }>();
  private push: (to: number) => void = () => {};
  private nextVisitor = 90_000;

  constructor(
    readonly server: RegistryServer,
    private readonly deps: {
      readonly rng: SeededRandom;
      readonly now: () => number;
      readonly gates: readonly string[];
      readonly emit: (event: CampusEvent) => void;
    },
  ) {}

  /** Generates the population, publishes it as version 1 and starts serving; returns the URL. */
  async start(): Promise<string> {
    const population = generatePopulation(this.deps.rng, this.deps.now(), this.deps.gates);
    for (const p of population) this.remember(p);
    const version = this.server.publish(
      population.map((p) => ({ type: "put" as const, credential: p.credential })),
    );
    for (const p of population) this.histories.set(p.credential.id, { addedIn: version });
    return this.server.start();
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  /** Called with the new version after each change (the MQTT push). */
  attachPush(push: (to: number) => void): void {
    this.push = push;
  }

  version(): number {
    return this.server.currentVersion();
  }

  history(credentialId: string): CredentialHistory {
    return this.histories.get(credentialId) ?? { addedIn: Number.POSITIVE_INFINITY };
  }

  /** Revokes a person (person id such as p-10001, or credential id); returns the new version. */
  async revoke(who: string): Promise<number> {
    const person = this.people.get(who) ?? [...this.people.values()].find((p) => p.credential.person === who);
    if (person === undefined) throw new Error(`no such person: ${who}`);
    const version = this.server.publish([
      { type: "put", credential: { ...person.credential, status: "revoked" } },
    ]);
    const history = this.histories.get(person.credential.id);
    if (history !== undefined && history.revokedIn === undefined) history.revokedIn = version;
    if (!this.revokedLive.includes(person)) this.revokedLive.push(person);
    // From now on the crowd shows this person only as "revoked_live".
    const list = this.byKind.get(person.kind);
    if (list?.includes(person)) list.splice(list.indexOf(person), 1);
    const visitors = this.addedVisitors;
    if (visitors.includes(person)) visitors.splice(visitors.indexOf(person), 1);
    this.changed("revoke", person, version);
    return version;
  }

  /** Adds a visitor valid today; returns the person id. */
  async addVisitor(name?: string): Promise<string> {
    const id = String(++this.nextVisitor);
    const made = makePerson("visitor", id, "ed25519", this.deps.now());
    const person: CampusPerson = {
      ...made,
      credential: { ...made.credential, displayName: name ?? `Visitor ${id}` },
    };
    // Not among the visitors of the day: the crowd shows new visitors as "new_visitor" only.
    this.people.set(id, person);
    const version = this.server.publish([{ type: "put", credential: person.credential }]);
    this.histories.set(id, { addedIn: version });
    this.addedVisitors.push(person);
    this.changed("add_visitor", person, version);
    return person.credential.person;
  }

  /** A scheduled change: revoke an active student or staff member, or add a visitor. */
  async scheduled(change: "revoke" | "add_visitor"): Promise<void> {
    if (change === "add_visitor") {
      await this.addVisitor();
      return;
    }
    const candidates = [...(this.byKind.get("student") ?? []), ...(this.byKind.get("staff") ?? [])].filter(
      (p) => this.histories.get(p.credential.id)?.revokedIn === undefined,
    );
    if (candidates.length === 0) return;
    await this.revoke(this.deps.rng.pick(candidates).credential.id);
  }

  private remember(person: CampusPerson): void {
    this.people.set(person.credential.id, person);
    const list = this.byKind.get(person.kind) ?? [];
    list.push(person);
    this.byKind.set(person.kind, list);
  }

  private changed(change: string, person: CampusPerson, version: number): void {
    this.deps.emit({
      kind: "registry",
      at: this.deps.now(),
      change,
      person: person.credential.person,
      version,
    });
    this.push(version);
  }
}
