import QRCode from "qrcode";
import { type BridgeConfig, bridgeMemberId } from "../../config/bridge-schema.js";
import { keyFingerprint, publicKeyText, readKeyFile } from "../../daemon/trust/key-file.js";
import { printJson } from "../output.js";

/**
 * `passgate bridge pair`: the bridge's roster member record (id, kind, gate, readers, public
 * key) as JSON and as a QR code in the terminal, for `passgate trust add --record` at the gate
 * or for the registry. Until the gate's roster has it, the gate acts on none of its scans.
 */
export async function bridgePair(
  config: BridgeConfig,
  options: { readonly json?: boolean | undefined },
): Promise<void> {
  const publicKey = publicKeyText(readKeyFile(config.keyFile));
  const member = {
    id: bridgeMemberId(config),
    kind: "bridge",
    gate: config.gate,
    readers: config.readers.map((r) => r.id),
    publicKey,
    status: "active",
  };
  if (options.json === true) {
    printJson({ member, fingerprint: keyFingerprint(publicKey) });
    return;
  }
  const record = JSON.stringify(member);
  // Half blocks on a terminal; plain UTF-8 blocks into a pipe or file.
  const qr = process.stdout.isTTY
    ? await QRCode.toString(record, { type: "terminal", small: true, errorCorrectionLevel: "M" })
    : await QRCode.toString(record, { type: "utf8", errorCorrectionLevel: "M" });
  process.stdout.write(
    `${qr}\n${record}\n\nfingerprint ${keyFingerprint(publicKey)}\n` +
      `at gate ${config.gate}: passgate trust add --record '${record}'\n`,
  );
}
