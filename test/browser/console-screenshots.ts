// Screenshots of the console's main views in Russian and English for docs/console.md,
// taken from a real gate, relay board and turnstile on a real mosquitto:
//
//   npx tsx test/browser/console-screenshots.ts [out-dir]     (default docs/console)
//
// Not a test: run it by hand after the page changes, and commit the PNGs.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { nowStep, staffToken, studentToken, token1001 } from "../../app/testing/mqtt-gate-fixture.js";
import { repoRoot } from "../run-cli.js";
import { launchChromium } from "./chromium.js";
import { type ConsoleScene, SCENE_GATE, SCENE_RELAY, startConsoleScene } from "./console-scene.js";

const LANGS = [
  { lang: "ru", locale: "ru-RU", reason: "посетитель, бумажный пропуск" },
  { lang: "en", locale: "en-GB", reason: "visitor, paper pass" },
] as const;
const tid = (id: string) => `[data-testid="${id}"]`;

const outDir = process.argv[2] ?? join(repoRoot, "docs", "console");
mkdirSync(outDir, { recursive: true });

const scene = await startConsoleScene({
  timeZone: "Europe/Moscow",
  passageTimeout: "1s",
  moreGates: ["library-1"],
});
let browser: Browser | undefined;
try {
  browser = await launchChromium();
  await liveSite(scene);
  for (const { lang, locale, reason } of LANGS) {
    const context = await browser.newContext({
      locale,
      timezoneId: "Europe/Moscow",
      viewport: { width: 1280, height: 800 },
    });
    const page = await context.newPage();
    await page.goto(scene.console.url);
    await page.locator(tid("login-username")).waitFor();
    await shot(page, `login-${lang}`);
    await page.locator(tid("login-username")).fill(scene.guard.username);
    await page.locator(tid("login-password")).fill(scene.guard.password);
    await page.locator(tid("login-submit")).click();
    await page.locator(tid("alarm-row")).first().waitFor();
    await page.locator(tid("decision-row")).first().waitFor();
    await shot(page, `site-${lang}`);
    await page.locator(tid(`open-relay-${SCENE_GATE}-${SCENE_RELAY}`)).click();
    await page.locator(tid("open-reason")).fill(reason);
    await shot(page, `open-once-${lang}`);
    await page.keyboard.press("Escape");
    await page.locator(tid("search-input")).fill("p-0042");
    await page
      .locator(`${tid("search-results")} li`)
      .first()
      .waitFor();
    await shot(page, `search-${lang}`);
    await context.close();
  }
  process.stdout.write(`console screenshots written to ${outDir}\n`);
} finally {
  await browser?.close();
  await scene.stop();
}

/** Two people walk through, a replayed code is denied, one turns back, then a forced passage. */
async function liveSite(s: ConsoleScene): Promise<void> {
  const step = nowStep();
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  // Until the relay board's availability reached the gate a grant would be denied.
  await pause(1_000);
  for (const token of [staffToken(step), token1001(step)]) {
    s.scan(token);
    await pause(300);
    await s.turnstile.rotate();
  }
  s.scan(staffToken(step));
  s.scan(studentToken(step));
  // Two people at the library's gate.
  s.scanAt("library-1", token1001(step + 1));
  s.scanAt("library-1", staffToken(step));
  // The student's grant times out (not passed); the rotation after it is nobody's.
  await pause(1_500);
  await s.turnstile.rotate();
}

async function shot(page: Page, name: string): Promise<void> {
  // Live times and the connection state settle within a frame or two.
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(outDir, `${name}.png`) });
}
