import { randomInt } from "node:crypto";
import type { IClientPublishOptions } from "mqtt";
import {
  type ShellyRpcRequest,
  shellyGen2Topics,
  shellyOnlineSchema,
  shellyRpcReplySchema,
} from "../mqtt/topics.js";
import { MqttRelayBase, type MqttRelayDeps } from "./mqtt-relay-base.js";
import { type PulseCommand, RelayError } from "./relay-driver.js";

/**
 * A Shelly Gen2+ switch (Plus, Pro; docs/relays.md): JSON-RPC `Switch.Set` with
 * `toggle_after`, so the device switches off by itself; the reply arrives on
 * `<src>/rpc`, where `src` is this gate's client id (gateClientId), also when `passgate
 * relay test` drives the board. Availability from `<id>/online`.
 */
export class ShellyGen2RelayDriver extends MqttRelayBase {
  private readonly topics;
  /**
   * From a random start: `passgate relay test` sends with the gate's reply topic too (the
   * one the ACLs allow), so a running gate and a test both hear each other's answers, and
   * each takes only the ids it sent.
   */
  private nextRpcId = randomInt(1, 2 ** 30);
  /** RPC id → the pulse it belongs to. */
  private readonly pending = new Map<number, string>();

  constructor(
    id: string,
    private readonly target: { readonly id: string; readonly channel: number; readonly src: string },
    deps: MqttRelayDeps,
  ) {
    super(id, deps);
    this.topics = shellyGen2Topics(target.id, target.src);
  }

  protected subscribeDevice(): (() => void)[] {
    const { connection } = this.deps;
    return [
      connection.subscribeParsed(this.topics.online, "text", shellyOnlineSchema, "shelly-online", (_t, v) =>
        this.setDeviceOnline(v === "true"),
      ),
      connection.subscribeParsed(
        this.topics.reply,
        "json",
        shellyRpcReplySchema,
        "shelly-rpc",
        (_t, reply) => {
          const key = this.pending.get(reply.id);
          if (key === undefined) return;
          this.pending.delete(reply.id);
          if (reply.error !== undefined) {
            this.fail(key, new RelayError("refused", `relay ${this.id}: device error ${reply.error.code}`));
          } else this.confirm(key);
        },
      ),
    ];
  }

  protected sendHold(open: boolean): boolean {
    const request: ShellyRpcRequest = {
      id: this.nextRpcId++,
      src: this.target.src,
      method: "Switch.Set",
      params: { id: this.target.channel, on: open },
    };
    return this.deps.connection.publish(this.topics.rpc, JSON.stringify(request), { qos: 1 });
  }

  protected sendOpen(command: PulseCommand, key: string, wire: IClientPublishOptions): boolean {
    const rpcId = this.nextRpcId++;
    const request: ShellyRpcRequest = {
      id: rpcId,
      src: this.target.src,
      method: "Switch.Set",
      params: { id: this.target.channel, on: true, toggle_after: Math.max(0.1, command.ms / 1000) },
    };
    this.pending.set(rpcId, key);
    // Forget the mapping with the confirmation timeout, so a lost reply does not leak.
    setTimeout(() => this.pending.delete(rpcId), this.deps.confirmTimeoutMs * 2).unref();
    return this.deps.connection.publish(this.topics.rpc, JSON.stringify(request), wire);
  }
}
