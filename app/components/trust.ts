import type { Config } from "../../config/schema.js";
import { KeyFileError, readKeyFile } from "../../daemon/trust/key-file.js";
import { Roster } from "../../daemon/trust/roster.js";
import { RosterStore } from "../../daemon/trust/roster-store.js";
import { type OwnSigner, SiteTrust } from "../../daemon/trust/site-trust.js";
import type { Clock } from "../../platform/clock.js";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import type { Component } from "../component.js";
import type { StorageComponent } from "./storage.js";

/** How often the roster is read again, to adopt `passgate trust add|remove|import` from another process. */
const ROSTER_REFRESH_MS = 2_000;

/**
 * Owns this gate's signing key and the site roster in force (docs/trust.md), as the
 * `SiteTrust` the parts that send or receive site messages use. Starts right after storage
 * (the roster lives in the database) and before the MQTT session. A key that cannot be
 * read is logged and the gate runs on without signing: scans are still decided, only what
 * it would share goes unsent.
 */
export class TrustComponent implements Component {
  readonly name = "trust";
  private trust: SiteTrust | undefined;
  private inForce = new Roster([]);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: Config,
    private readonly deps: {
      readonly storage: StorageComponent;
      readonly clock: Clock;
      readonly logger: Logger;
    },
  ) {}

  /** The roster in force now (empty before the start). */
  get roster(): Roster {
    return this.inForce;
  }

  /** From `start()` on. */
  get site(): SiteTrust {
    if (this.trust === undefined) throw new Error("trust is not started");
    return this.trust;
  }

  async start(): Promise<void> {
    const log = this.deps.logger.child({ component: "trust" });
    const store = RosterStore.open(this.deps.storage.stores.db);
    const refresh = () => {
      try {
        this.inForce = store.roster();
      } catch (err) {
        // A damaged file is logged once, by storage, not every 2 s here.
        if (!this.deps.storage.noteError(err, "roster read"))
          log.error({ err: describeError(err) }, "could not read the roster; the one in force stays");
      }
    };
    refresh();
    this.timer = setInterval(refresh, ROSTER_REFRESH_MS);
    this.timer.unref();
    const { trust, gate } = this.config;
    const signer = this.signer(log);
    if (this.inForce.size === 0)
      log.warn(
        "the site roster is empty: this gate acts on no request and no site record until members are added (passgate trust add, or the registry's roster)",
      );
    if (trust.acceptUnsigned)
      log.warn("trust.acceptUnsigned is on: unsigned site records are taken from anyone on the broker");
    this.trust = new SiteTrust({
      roster: () => this.inForce,
      signer,
      freshnessMs: trust.freshness,
      widestFreshnessMs: trust.clockTolerance,
      acceptUnsigned: trust.acceptUnsigned,
      clock: this.deps.clock,
      logger: log,
    });
    log.info(
      { member: signer?.id ?? `gate:${gate}`, signs: signer !== undefined, members: this.inForce.size },
      "trust ready",
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private signer(log: Logger): OwnSigner | undefined {
    const { trust, gate } = this.config;
    if (trust.keyFile === undefined) {
      log.warn("this gate has no key (trust.keyFile): it signs nothing; make one with passgate keys init");
      return undefined;
    }
    try {
      return { id: trust.memberId ?? `gate:${gate}`, privateKey: readKeyFile(trust.keyFile) };
    } catch (err) {
      if (!(err instanceof KeyFileError)) throw err;
      log.error({ err: describeError(err) }, "cannot use this gate's key: it signs nothing");
      return undefined;
    }
  }
}
