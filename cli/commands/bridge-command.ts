import type { Command } from "commander";
import type { BridgeConfig } from "../../config/bridge-schema.js";
import { helpAfter } from "../output.js";

/** The bridge's config: --config, else $PASSGATE_BRIDGE_CONFIG, else ./passgate-bridge.yaml. */
function bridgeConfigFile(program: Command): string {
  return (
    program.opts<{ config?: string }>().config ||
    process.env.PASSGATE_BRIDGE_CONFIG ||
    "./passgate-bridge.yaml"
  );
}

async function loadBridge(program: Command): Promise<BridgeConfig> {
  const { loadBridgeConfig } = await import("../../config/load-config.js");
  return loadBridgeConfig(bridgeConfigFile(program));
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `passgate bridge init|pair|run|status`: the reader bridge beside a turnstile
 * (docs/bridge.md), on its own small board; its config is not the gate's.
 */
export function registerBridgeCommand(program: Command): void {
  const bridge = program
    .command("bridge")
    .description("the reader bridge beside a turnstile: reads its scanners, sends signed scans to its gate");
  helpAfter(bridge, {
    notes:
      "The bridge's config is --config, else $PASSGATE_BRIDGE_CONFIG, else ./passgate-bridge.yaml. The gate configures each bridged reader with `source: {type: bridge}`.",
    examples: [
      "passgate bridge init --site north --gate main-1 --name lane-1 --broker mqtts://broker:8883 --reader in:in:serial-usb:0c2e:0b61",
      "passgate bridge pair",
      "passgate bridge run",
      "passgate bridge status",
    ],
  });

  const init = bridge
    .command("init")
    .description(
      "write a bridge config and the bridge's own Ed25519 key (0600); on a terminal, asks for what the flags do not give",
    )
    .option("--site <site>", "the site id")
    .option("--gate <gate>", "the gate this bridge feeds")
    .option("--name <name>", "this bridge's name (its roster id is bridge:<name>)")
    .option("--broker <url>", "the site's broker, e.g. mqtts://broker.campus:8883")
    .option(
      "--reader <spec>",
      "ID:DIRECTION:SOURCE, SOURCE stdin | serial:PATH | serial-usb:VID[:PID] | hid-pos:VID[:PID] | hid-keyboard:VID[:PID]; repeat for more",
      collect,
    )
    .option(
      "--gate-key <key>",
      "the gate's public key (passgate keys show on the gate); write --gate-key=KEY, since a key may begin with '-'",
    )
    .option("--username <name>", "the bridge's broker account")
    .option("--password-file <file>", "a file holding that account's password")
    .option("--force", "replace an existing config (the key is kept)")
    .action(async (options: Parameters<typeof import("../bridge/bridge-init.js").bridgeInitAsking>[1]) => {
      const { bridgeInitAsking } = await import("../bridge/bridge-init.js");
      await bridgeInitAsking(bridgeConfigFile(program), options, {
        input: process.stdin,
        output: process.stdout,
        terminal: process.stdin.isTTY === true,
      });
    });
  helpAfter(init, {
    exitCodes: "0 written; 1 a bad value or the config exists (use --force).",
    examples: [
      "passgate bridge init --site north --gate main-1 --name lane-1 --broker mqtt://10.0.0.2:1883 --reader in:in:serial:/dev/ttyACM0",
      "passgate -c /etc/passgate/bridge.yaml bridge init --site north --gate main-1 --name lane-2 --broker mqtts://broker:8883 --reader out:out:hid-pos:0c2e --gate-key=<key>",
    ],
  });

  const pair = bridge
    .command("pair")
    .description(
      "print this bridge's roster record as JSON and a QR code, for passgate trust add at the gate",
    )
    .option("--json", "print {member, fingerprint}")
    .action(async (options: { json?: boolean }) => {
      const { bridgePair } = await import("../bridge/bridge-pair.js");
      await bridgePair(await loadBridge(program), options);
    });
  helpAfter(pair, {
    exitCodes: "0 printed; 1 the config or key cannot be read.",
    examples: ["passgate bridge pair", "passgate bridge pair --json | jq -c .member"],
  });

  const run = bridge
    .command("run")
    .description("run the bridge: read the readers, send signed scans, play the gate's answers")
    .action(async () => {
      const { bridgeRun } = await import("../bridge/bridge-run.js");
      await bridgeRun(await loadBridge(program));
    });
  helpAfter(run, {
    exitCodes: "0 stopped by a signal or the end of stdin; 1 the config or key cannot be read.",
    examples: ["passgate bridge run", "passgate -c /etc/passgate/bridge.yaml bridge run"],
  });

  const doctor = bridge
    .command("doctor")
    .description("check the bridge: key, gate key, readers, udev, clock, broker, paired at its gate")
    .option("--json", "print {ok, checks: [{id, status, finding, fix}]}")
    .action(async (options: { json?: boolean }) => {
      const { bridgeDoctor } = await import("../bridge/bridge-doctor.js");
      await bridgeDoctor(bridgeConfigFile(program), options);
    });
  helpAfter(doctor, {
    exitCodes: "0 every check ok (warnings allowed); 1 a check failed.",
    examples: [
      "passgate bridge doctor",
      "passgate bridge doctor --json | jq '.checks[] | select(.status != \"ok\")'",
    ],
  });

  const status = bridge
    .command("status")
    .description("the bridge's status and state as the broker holds them")
    .option("--json", "print {status, state}")
    .action(async (options: { json?: boolean }) => {
      const { bridgeStatus } = await import("../bridge/bridge-status.js");
      await bridgeStatus(await loadBridge(program), options);
    });
  helpAfter(status, {
    exitCodes: "0 online; 1 offline, never seen, or the broker unreachable.",
    examples: ["passgate bridge status", "passgate bridge status --json | jq .state.scans"],
  });
}
