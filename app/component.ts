import type { ConfigDiff } from "./reload/diff-config.js";

/**
 * One part of a running gate (storage, the MQTT session, relays, readers…). A ComponentList
 * (component-list.ts) starts the gate's components in the order the composition root
 * lists them and stops them in reverse, so a component may use the ones listed before it
 * from `start()` until its own `stop()` returns. Every implementation must keep:
 *
 * - The constructor only stores its dependencies: no I/O, no timers, no subscriptions.
 * - `start()` acquires what the component holds (files, sockets, timers, subscriptions). If
 *   it throws, it has released what it acquired: the list does not stop a component whose
 *   start failed.
 * - `stop()` releases all of it and is called once, only after a successful start. It
 *   should not throw; if it does, the list logs it and stops the others all the same.
 * - `reload(diff)` applies the component's own part of a new config (SIGHUP), leaving
 *   alone what the diff does not touch. Reloads and the stop never overlap.
 */
export interface Component {
  /** Names the component in log lines about its start and stop. */
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  reload?(diff: ConfigDiff): Promise<void>;
}
