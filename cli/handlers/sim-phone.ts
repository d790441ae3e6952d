import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { InvalidArgumentError } from "commander";
import { Phone, type PhoneCredential } from "../../sim/phone/phone.js";
import { renderTerminalQr, writeQrPng } from "../../sim/phone/qr-code.js";
import type { PhoneOptions } from "../commands/sim-phone-command.js";

function positiveInteger(value: string, option: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`${option}: expected a whole number ≥ 1`);
  return n;
}

function phoneFrom(opts: PhoneOptions): Phone {
  if (!/^(0|[1-9][0-9]{0,19})$/.test(opts.credential) || BigInt(opts.credential) >= 2n ** 64n)
    throw new InvalidArgumentError("--credential: expected a decimal id below 2^64");
  const period = positiveInteger(opts.period, "--period");
  const digits = Number(opts.digits);
  if (digits !== 6 && digits !== 8) throw new InvalidArgumentError("--digits: expected 6 or 8");
  if (!["SHA1", "SHA256", "SHA512"].includes(opts.algorithm))
    throw new InvalidArgumentError("--algorithm: expected SHA1, SHA256 or SHA512");
  if ((opts.ed25519Key === undefined) === (opts.totpSecret === undefined))
    throw new InvalidArgumentError("give exactly one of --ed25519-key <file> or --totp-secret <base32>");
  let credential: PhoneCredential;
  if (opts.ed25519Key !== undefined) {
    let privateKey: ReturnType<typeof createPrivateKey>;
    try {
      privateKey = createPrivateKey(readFileSync(opts.ed25519Key));
    } catch (err) {
      // The message names the file only: key material never reaches the terminal.
      throw new InvalidArgumentError(
        `--ed25519-key: cannot read a PEM private key from ${opts.ed25519Key} (${err instanceof Error && "code" in err ? String(err.code) : "unreadable"})`,
      );
    }
    if (privateKey.asymmetricKeyType !== "ed25519")
      throw new InvalidArgumentError(
        `--ed25519-key: ${opts.ed25519Key} holds a ${privateKey.asymmetricKeyType} key`,
      );
    credential = { id: opts.credential, scheme: "ed25519", privateKey, period };
  } else {
    const secret = opts.totpSecret ?? "";
    if (!/^[A-Za-z2-7]+=*$/.test(secret))
      throw new InvalidArgumentError("--totp-secret: expected base32 text");
    credential = {
      id: opts.credential,
      scheme: "totp",
      totp: { secret, algorithm: opts.algorithm, digits },
      period,
    };
  }
  return new Phone(credential);
}

/** `code.png` → `code-3.png`: the name of the i-th of several PNGs. */
export function numberedPng(file: string, i: number): string {
  const dot = file.toLowerCase().endsWith(".png") ? file.length - 4 : file.length;
  return `${file.slice(0, dot)}-${i}${file.slice(dot)}`;
}

/** Shows the QR of each time step as it comes; on a TTY in place, else one after another. */
async function watchQr(phone: Phone, steps: number, color: boolean, tty: boolean): Promise<void> {
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once("SIGINT", stop);
  try {
    for (let shown = 0; shown < steps && !stopped; shown++) {
      const now = Date.now();
      const qr = await renderTerminalQr(phone.codeAt(now), { color });
      const status = `time step ${phone.stepAt(now)}, next code in ${Math.ceil((phone.nextChangeAt(now) - now) / 1000)} s (Ctrl-C stops)`;
      process.stdout.write(tty ? `\u001b[2J\u001b[H${qr}\n${status}\n` : `${qr}\n${status}\n\n`);
      if (shown + 1 >= steps) break;
      // Wake just after the boundary, in short naps so Ctrl-C is prompt.
      const until = phone.nextChangeAt(now) + 20;
      while (!stopped && Date.now() < until) await sleep(Math.min(200, until - Date.now()));
    }
  } finally {
    process.off("SIGINT", stop);
  }
}

/** `passgate sim phone` (wired in cli/commands/sim-phone-command.ts): text codes, a QR in the terminal, or PNGs. */
export async function runPhone(opts: PhoneOptions, countDefaulted: boolean): Promise<void> {
  const phone = phoneFrom(opts);
  const count = positiveInteger(opts.count, "--count");
  const every = opts.every === undefined ? undefined : Number(opts.every);
  if (every !== undefined && !(every >= 0 && Number.isFinite(every)))
    throw new InvalidArgumentError("--every: expected seconds ≥ 0");
  if (opts.watch && !opts.qr) throw new InvalidArgumentError("--watch needs --qr");
  if (opts.qr && opts.png !== undefined) throw new InvalidArgumentError("give --qr or --png, not both");
  const tty = process.stdout.isTTY === true;
  const color = tty && !process.env.NO_COLOR;

  if (opts.png !== undefined) {
    const now = Date.now();
    for (let i = 0; i < count; i++) {
      const file = count === 1 ? opts.png : numberedPng(opts.png, i + 1);
      await writeQrPng(phone.codeForStep(phone.stepAt(now) + i), file);
      process.stdout.write(`${file}\n`);
    }
    return;
  }
  if (opts.qr && opts.watch)
    return watchQr(phone, countDefaulted ? Number.POSITIVE_INFINITY : count, color, tty);
  for (let i = 0; i < count; i++) {
    if (i > 0 && every !== undefined) await sleep(every * 1000);
    const code = phone.codeAt(Date.now());
    // The text form is the point of the command (it is piped into a gate); the QR form
    // never prints the text beside the picture.
    process.stdout.write(opts.qr ? `${await renderTerminalQr(code, { color })}\n` : `${code}\n`);
  }
}
