import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./chromium.js";

let server: Server;
let browser: Browser;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(
      `<!doctype html><html lang="ru"><title>проверка</title><body><p id="path">${req.url === "/" ? "корень" : "другое"}</p><script>document.body.dataset.ran = String(1 + 1)</script></body></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await launchChromium();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe("the system's chromium", () => {
  it("starts headless and renders a page from a local server, scripts and Cyrillic included", async () => {
    const page = await browser.newPage();
    await page.goto(url);
    expect(await page.title()).toBe("проверка");
    expect(await page.locator("#path").textContent()).toBe("корень");
    expect(await page.locator("body").getAttribute("data-ran")).toBe("2");
    const png = await page.screenshot();
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    await page.close();
  });

  it("says which package to install when the browser is missing", async () => {
    await expect(launchChromium({ PASSGATE_CHROMIUM: "/nowhere/chromium" })).rejects.toThrow(
      "chromium not found at /nowhere/chromium — install with: sudo apt-get install chromium",
    );
  });
});
