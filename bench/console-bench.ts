import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync } from "mqtt";
import { UserStore } from "../console/auth/user-store.js";
import { openConsoleDatabase } from "../console/store/console-database.js";
import { TestMosquitto } from "../daemon/mqtt/testing/mosquitto.js";
import { type BenchResult, percentile } from "./bench-result.js";
import { SiteLoad } from "./console-load.js";
import { openGuardPage } from "./console-page.js";
import { readSse } from "./sse-reader.js";

const SITE = "bench-campus";
const USER = { username: "bench", password: "bench-password-1" };

export interface ConsoleBenchOptions {
  readonly gates: number;
  readonly peoplePerMinutePerLane: number;
  readonly seconds: number;
}

/**
 * The console under a site's load: `gates` × 2 lanes publishing decisions at the crowd's pace
 * on a real mosquitto, the console (the built one, in a process of its own so its memory is
 * its own) subscribed to them, and a logged-in SSE client as a page's live feed. Timed from
 * each decision's publish to its arrival on the SSE stream, in this process, so one clock
 * times both ends. The floor is a bare subscriber on the same broker receiving the same
 * messages in the same run. The console's RSS peak is its VmHWM (Linux) at the end.
 */
export async function benchConsole(
  options: ConsoleBenchOptions,
  progress: (m: string) => void,
): Promise<BenchResult[]> {
  const dist = join(process.cwd(), "dist", "console", "console-app.js");
  if (!existsSync(dist) || newestFile(join(process.cwd(), "console")) > statSync(dist).mtimeMs) {
    progress("bench: building dist/ for the console's process (console/ is newer)…");
    execFileSync("npm", ["run", "-s", "build"], { stdio: "inherit" });
  }
  const dir = mkdtempSync(join(tmpdir(), "passgate-console-bench-"));
  const broker = await TestMosquitto.start();
  const load = new SiteLoad({ brokerUrl: broker.url, site: SITE, ...options });
  let child: ChildProcess | undefined;
  const abort = new AbortController();
  try {
    const database = join(dir, "console.db");
    const db = openConsoleDatabase(database);
    try {
      await new UserStore(db).add(USER.username, "admin", USER.password, Date.now());
    } finally {
      db.close();
    }
    await load.connect();
    const started = await startConsoleProcess({
      site: SITE,
      timeZone: "Europe/Moscow",
      mqtt: { url: broker.url },
      listen: "127.0.0.1:0",
      operator: { name: "bench-console", keyFile: await benchOperatorKey(dir) },
      database: { path: database },
    });
    child = started.child;
    const cookie = await logIn(started.url);

    const sse: number[] = [];
    const floor: number[] = [];
    const floorClient = await connectAsync(broker.url, { protocolVersion: 5 });
    floorClient.on("message", (_topic, payload) => {
      const at = performance.now();
      const id = eventId(payload.toString());
      const sent = id === undefined ? undefined : load.published.get(id);
      if (sent !== undefined) floor.push((at - sent) * 1000);
    });
    await floorClient.subscribeAsync(`passgate/${SITE}/+/event`, { qos: 0 });
    const feed = readSse(`${started.url}/api/events`, cookie, abort.signal, (data) => {
      const at = performance.now();
      const event = JSON.parse(data) as { type?: string; decision?: { id?: string } };
      const sent = event.type === "decision" ? load.published.get(event.decision?.id ?? "") : undefined;
      if (sent !== undefined) sse.push((at - sent) * 1000);
    }).then(
      () => undefined,
      // Kept, not thrown: an unhandled rejection would end the bench before its cleanup.
      (err: unknown) => (abort.signal.aborted ? undefined : err),
    );
    // A guard's page in chromium as well, unless PASSGATE_BENCH_CONSOLE_PAGE=0 or no chromium.
    const onPage: number[] = [];
    const page =
      process.env.PASSGATE_BENCH_CONSOLE_PAGE === "0"
        ? undefined
        : await openGuardPage(started.url, USER, (id, epochMs) => {
            const sent = load.published.get(id);
            if (sent !== undefined) onPage.push((epochMs - (performance.timeOrigin + sent)) * 1000);
          });
    // Let the console take in every gate's retained state before the crowd starts.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    progress(
      `bench: console under ${options.gates} gates × 2 lanes at ${options.peoplePerMinutePerLane}/min/lane for ${options.seconds} s…`,
    );
    // Before the crowd: what the console holds with every gate's state and nothing else.
    const idleKb = procStatusKb(child.pid, "VmRSS");
    let rssSamples = 0;
    let rssMax = 0;
    const sampler = setInterval(() => {
      rssSamples++;
      rssMax = Math.max(rssMax, procStatusKb(child?.pid, "VmRSS"));
    }, 500);
    load.start();
    await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
    await load.stop();
    // What was published last is still on its way.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    clearInterval(sampler);
    const peakKb = Math.max(rssMax, procStatusKb(child.pid, "VmHWM"));
    // The console's own memory, without node's file-backed executable pages.
    const anonKb = procStatusKb(child.pid, "RssAnon");
    abort.abort();
    await page?.close();
    const feedError = await feed;
    if (feedError !== undefined) throw feedError;
    await floorClient.endAsync();
    const published = load.published.size;
    const p99 = percentile(sse, 0.99);
    const floorP99 = percentile(floor, 0.99);
    const pageResult: BenchResult[] =
      page === undefined
        ? []
        : [
            {
              name: "console publish→page",
              n: onPage.length,
              p50_us: percentile(onPage, 0.5),
              p99_us: percentile(onPage, 0.99),
              floor_p50_us: percentile(floor, 0.5),
              floor_p99_us: floorP99,
              ratio: percentile(onPage, 0.99) / floorP99,
              floor: "bare QoS 0 subscriber on the same broker, same messages, same run",
              published,
              lost: published - onPage.length,
              clock: "the page's Date.now() (1 ms steps) against the publish time, one machine",
              target: "p99 < 1 s",
            },
          ];
    return [
      {
        name: "console publish→sse",
        n: sse.length,
        p50_us: percentile(sse, 0.5),
        p99_us: p99,
        floor_p50_us: percentile(floor, 0.5),
        floor_p99_us: floorP99,
        ratio: p99 / floorP99,
        floor: "bare QoS 0 subscriber on the same broker, same messages, same run",
        published,
        lost: published - sse.length,
        gates: options.gates,
        lanes: options.gates * 2,
        people_per_min_per_lane: options.peoplePerMinutePerLane,
        decisions_per_s: Math.round((published / options.seconds) * 10) / 10,
        console_rss_idle_mb: Math.round(idleKb / 102.4) / 10,
        console_rss_peak_mb: Math.round(peakKb / 102.4) / 10,
        console_rss_anon_mb: Math.round(anonKb / 102.4) / 10,
        rss_samples: rssSamples,
        target: "p99 < 1 s, console RSS < 150 MB",
        with_page: page !== undefined,
      },
      ...pageResult,
    ];
  } finally {
    abort.abort();
    await load.stop().catch(() => undefined);
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The newest mtime (ms) of the files under `dir`, its page's files included. */
function newestFile(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestFile(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** A decision event's id, or undefined for anything else. */
function eventId(text: string): string | undefined {
  try {
    const e = JSON.parse(text) as { type?: string; id?: string };
    return e.type === "decision" ? e.id : undefined;
  } catch {
    return undefined;
  }
}

/** `field` (VmRSS, VmHWM) of /proc/<pid>/status in kB; 0 where there is none. */
function procStatusKb(pid: number | undefined, field: string): number {
  if (pid === undefined) return 0;
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((l) => l.startsWith(`${field}:`));
    return Number(line?.replace(/\D+/g, "") ?? 0);
  } catch {
    return 0;
  }
}

async function benchOperatorKey(dir: string): Promise<string> {
  const { generateKeyPairSync } = await import("node:crypto");
  const { writeFileSync } = await import("node:fs");
  const file = join(dir, "operator.key");
  const { privateKey } = generateKeyPairSync("ed25519");
  writeFileSync(file, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
  return file;
}

/**
 * The built console (dist/) in a node process of its own, as `passgate console` runs it:
 * its RSS is then the console's and not the bench's publishers'.
 */
async function startConsoleProcess(
  config: Record<string, unknown>,
): Promise<{ child: ChildProcess; url: string }> {
  const script = `
    const { parseConsoleConfig } = await import("./dist/console/console-config.js");
    const { startConsole } = await import("./dist/console/console-app.js");
    const { createLogger } = await import("./dist/platform/log/logger.js");
    const running = await startConsole(parseConsoleConfig(JSON.parse(process.env.BENCH_CONSOLE_CONFIG)), {
      logger: createLogger({ level: "silent" }),
    });
    process.stdout.write(JSON.stringify({ url: running.url }) + "\\n");
    process.on("SIGTERM", () => running.stop().then(() => process.exit(0)));
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, BENCH_CONSOLE_CONFIG: JSON.stringify(config) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once("exit", (code) => reject(new Error(`the console's process exited with ${code}`)));
  });
  return { child, url };
}

async function logIn(url: string): Promise<string> {
  const response = await fetch(`${url}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(USER),
  });
  if (response.status !== 200) throw new Error(`bench login answered ${response.status}`);
  const cookies = response.headers.getSetCookie().map((c) => c.split(";")[0]);
  return cookies.join("; ");
}
