import type { Command } from "commander";

/** The options of `passgate sim phone`, as commander hands them over (strings until checked). */
export interface PhoneOptions {
  credential: string;
  ed25519Key?: string;
  totpSecret?: string;
  algorithm: "SHA1" | "SHA256" | "SHA512";
  digits: string;
  period: string;
  count: string;
  every?: string;
  qr?: boolean;
  watch?: boolean;
  png?: string;
}

/**
 * `passgate sim phone`: what the mobile app shows. As text, one PG1 token per line, so
 * `passgate sim phone … | passgate run` drives a gate end to end; with `--qr` as a QR code
 * in the terminal, and with `--png` as image files, so a person can hold a real scanner to
 * a screen. Test credentials only: the key or secret is read from the command line or a
 * file on this machine.
 */
export function registerSimPhoneCommand(sim: Command): void {
  const phoneCommand = sim
    .command("phone")
    .description("show PG1 codes for a credential as the mobile app makes them: text, QR or PNG")
    .requiredOption("--credential <id>", "credential id (unsigned 64-bit decimal)")
    .option("--ed25519-key <file>", "the phone's Ed25519 private key, PEM (PKCS#8)")
    .option("--totp-secret <base32>", "the credential's TOTP secret")
    .option("--algorithm <name>", "TOTP algorithm: SHA1, SHA256 or SHA512", "SHA1")
    .option("--digits <n>", "TOTP digits: 6 or 8", "8")
    .option("--period <s>", "seconds per time step", "30")
    .option("--count <n>", "codes to show (with --watch: time steps; default there: until Ctrl-C)", "1")
    .option("--every <s>", "seconds between text codes (default: none, each for the current step)")
    .option("--qr", "draw the code as a QR in the terminal instead of printing its text")
    .option("--watch", "with --qr: draw the code of each new time step as it comes")
    .option("--png <file>", "write the QR as a PNG; with --count N, file-1.png … file-N.png for N steps")
    .addHelpText(
      "after",
      `
Examples:
  passgate sim phone --credential 42 --totp-secret GEZDGNBVGY3TQOJQ | passgate run
  passgate sim phone --credential 42 --totp-secret GEZDGNBVGY3TQOJQ --qr --watch
  passgate sim phone --credential 1001 --ed25519-key phone.pem --png code.png --count 3

With --png, the files hold the codes of consecutive time steps from now (code-1.png is
the current one) and their names are printed. Exit codes: 0 ok, 1 failure, 2 usage error.`,
    )
    // A bad option value throws InvalidArgumentError: cli/main.ts prints it on one line, exit 2.
    .action(async (opts: PhoneOptions) => {
      const { runPhone } = await import("../handlers/sim-phone.js");
      await runPhone(opts, phoneCommand.getOptionValueSource("count") === "default");
    });
}
