import { accessSync, constants } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/**
 * A guard's page in Debian's chromium, logged in, reporting each decision row the first
 * time it appears on screen: `onRow(id, epochMs)` with the page's own clock, which is this
 * machine's. The bench may not use the tests' launcher (test/browser/chromium.ts: bench code
 * imports no test folder), so the few launch lines are repeated here with the same flags.
 */
export async function openGuardPage(
  url: string,
  user: { readonly username: string; readonly password: string },
  onRow: (id: string, epochMs: number) => void,
): Promise<{ close(): Promise<void> } | undefined> {
  const executablePath = process.env.PASSGATE_CHROMIUM ?? "/usr/bin/chromium";
  try {
    accessSync(executablePath, constants.X_OK);
  } catch {
    return undefined;
  }
  const browser: Browser = await chromium.launch({
    executablePath,
    headless: true,
    // As root (CI containers) chromium's sandbox does not start; the page is our own, on loopback.
    args: [...(process.getuid?.() === 0 ? ["--no-sandbox"] : []), "--disable-dev-shm-usage", "--disable-gpu"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.exposeBinding("__benchRow", (_source, id: string, at: number) => onRow(id, at));
    await page.goto(url);
    await page.locator('[data-testid="login-username"]').fill(user.username);
    await page.locator('[data-testid="login-password"]').fill(user.password);
    await page.locator('[data-testid="login-submit"]').click();
    await page.locator('[data-testid="gate-list"] article').first().waitFor({ timeout: 10_000 });
    // The page may redraw a card whole; each decision is reported once, when first seen.
    await page.evaluate(`(() => {
      const seen = new Set();
      const scan = () => {
        const at = Date.now();
        for (const row of document.querySelectorAll('[data-testid="decision-row"][data-decision]')) {
          const id = row.dataset.decision;
          if (!seen.has(id)) { seen.add(id); window.__benchRow(id, at); }
        }
      };
      scan();
      new MutationObserver(scan).observe(document.body, { childList: true, subtree: true });
    })()`);
    return { close: () => browser.close() };
  } catch (err) {
    await browser.close();
    throw err;
  }
}
