import { createPrivateKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { encodeEd25519Token, encodeTotpToken, totpValue } from "../../sim/phone/pg1-encoder.js";

interface PhoneOptions {
  credential: string;
  ed25519Key?: string;
  totpSecret?: string;
  algorithm: "SHA1" | "SHA256" | "SHA512";
  digits: string;
  period: string;
  count: string;
  every?: string;
}

/**
 * `passgate sim phone`: what the mobile app shows, as text, one PG1 token per line, so
 * `passgate sim phone … | passgate run` drives a gate end to end. Test credentials only:
 * the key or secret is read from the command line or a file on this machine.
 */
export function registerSimCommand(program: Command): void {
  const sim = program.command("sim").description("simulated campus parts");
  sim
    .command("phone")
    .description("print PG1 tokens for a credential, as the mobile app makes them")
    .requiredOption("--credential <id>", "credential id (unsigned 64-bit decimal)")
    .option("--ed25519-key <file>", "the phone's Ed25519 private key, PEM (PKCS#8)")
    .option("--totp-secret <base32>", "the credential's TOTP secret")
    .option("--algorithm <name>", "TOTP algorithm: SHA1, SHA256 or SHA512", "SHA1")
    .option("--digits <n>", "TOTP digits: 6 or 8", "8")
    .option("--period <s>", "seconds per time step", "30")
    .option("--count <n>", "tokens to print", "1")
    .option("--every <s>", "seconds between tokens (default: none, each for the current step)")
    .action(async (opts: PhoneOptions) => {
      if (!/^(0|[1-9][0-9]{0,19})$/.test(opts.credential))
        throw new Error("--credential: expected a decimal id");
      const period = Number(opts.period);
      const digits = Number(opts.digits);
      if (!Number.isInteger(period) || period < 1) throw new Error("--period: expected whole seconds ≥ 1");
      if (digits !== 6 && digits !== 8) throw new Error("--digits: expected 6 or 8");
      let privateKey: KeyObject | undefined;
      if (opts.ed25519Key !== undefined) privateKey = createPrivateKey(readFileSync(opts.ed25519Key));
      if ((privateKey === undefined) === (opts.totpSecret === undefined)) {
        throw new Error("give exactly one of --ed25519-key <file> or --totp-secret <base32>");
      }
      const make = (step: number) =>
        privateKey !== undefined
          ? encodeEd25519Token(opts.credential, step, privateKey)
          : encodeTotpToken(
              opts.credential,
              step,
              totpValue({ secret: opts.totpSecret ?? "", algorithm: opts.algorithm, digits }, step),
            );
      const count = Number(opts.count);
      for (let i = 0; i < count; i++) {
        if (i > 0 && opts.every !== undefined) await sleep(Number(opts.every) * 1000);
        process.stdout.write(`${make(Math.floor(Date.now() / 1000 / period))}\n`);
      }
    });
}
