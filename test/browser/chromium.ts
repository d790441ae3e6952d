import { accessSync, constants } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's chromium (the `chromium` package, installed by .ci/run); `PASSGATE_CHROMIUM` overrides it. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PASSGATE_CHROMIUM ?? "/usr/bin/chromium";
}

/**
 * Launches the system's chromium headless through playwright-core. Playwright's own browser
 * download is never used: the tests run on the browser the OS package brings, so the CI
 * machine needs no network at test time and no browser cache of its own.
 */
export async function launchChromium(env: NodeJS.ProcessEnv = process.env): Promise<Browser> {
  const executablePath = chromiumPath(env);
  try {
    accessSync(executablePath, constants.X_OK);
  } catch {
    throw new Error(
      `chromium not found at ${executablePath} — install with: sudo apt-get install chromium (or set PASSGATE_CHROMIUM)`,
    );
  }
  const args = [
    // Chromium refuses to start its sandbox as root (CI containers run as root) and a
    // container often lacks the user namespaces it needs; the pages it opens here are our
    // own, served from loopback, so the sandbox guards nothing in these tests.
    ...(process.getuid?.() === 0 ? ["--no-sandbox"] : []),
    // /dev/shm in a container is often 64 MB, too small for chromium's shared memory.
    "--disable-dev-shm-usage",
    "--disable-gpu",
  ];
  return chromium.launch({ executablePath, headless: true, args });
}
