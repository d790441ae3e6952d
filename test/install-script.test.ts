import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./run-cli.js";

const script = join(repoRoot, "scripts", "install.sh");

function dryRun(args: string[], etcDir: string) {
  const result = spawnSync("sh", [script, "--dry-run", ...args], {
    encoding: "utf8",
    env: { ...process.env, PASSGATE_ETC_DIR: etcDir },
  });
  const steps = result.stdout
    .split("\n")
    .filter((l) => l.startsWith("would run: "))
    .map((l) => l.slice("would run: ".length));
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, steps };
}

describe("scripts/install.sh", () => {
  it("is valid shell (bash -n and sh -n)", () => {
    expect(spawnSync("bash", ["-n", script]).status).toBe(0);
    expect(spawnSync("sh", ["-n", script]).status).toBe(0);
  });

  it("--dry-run plans every step in order and, without a config, does not start the gate", () => {
    const etc = mkdtempSync(join(tmpdir(), "passgate-etc-"));
    const run = dryRun(["/srv/passgate-0.1.0.tgz"], etc);
    expect(run.code, run.stderr).toBe(0);
    const order = [
      /^apt-get update$/,
      /^apt-get install -y --no-install-recommends libusb-1\.0-0 libudev1 udev$/,
      new RegExp(`^install -d -m 0750 -o root -g passgate ${etc}$`),
      /^install -d -m 0750 -o passgate -g passgate \/var\/lib\/passgate$/,
      /^npm install -g --omit=dev --prefix \/opt\/passgate \/srv\/passgate-0\.1\.0\.tgz$/,
      /^ln -sf \/opt\/passgate\/bin\/passgate \/usr\/local\/bin\/passgate$/,
      /^install -m 0644 .*\/scripts\/99-passgate-readers\.rules \/etc\/udev\/rules\.d\/99-passgate-readers\.rules$/,
      /^udevadm control --reload$/,
      /^install -m 0644 .*\/scripts\/passgate\.service \/etc\/systemd\/system\/passgate\.service$/,
      /^systemctl daemon-reload$/,
    ];
    const positions = order.map((re) => run.steps.findIndex((s) => re.test(s)));
    expect(
      positions.every((p) => p >= 0),
      JSON.stringify(run.steps),
    ).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // The service user exists already or is created; either way it is a system user without a shell.
    const useradd = run.steps.find((s) => s.startsWith("useradd"));
    if (useradd !== undefined) expect(useradd).toContain("--system");
    else expect(run.stdout).toContain("user passgate exists");
    expect(run.steps.some((s) => s.startsWith("systemctl enable") || s.startsWith("systemctl restart"))).toBe(
      false,
    );
    expect(run.stdout).toContain(`passgate --config ${etc}/passgate.yaml init`);
    // No build tools unless a native module has no prebuilt binary.
    expect(run.steps.some((s) => s.includes("g++"))).toBe(false);
  });

  it("--dry-run with a config in place enables and restarts the service", () => {
    const etc = mkdtempSync(join(tmpdir(), "passgate-etc-"));
    writeFileSync(join(etc, "passgate.yaml"), "site: s\n");
    const run = dryRun([], etc);
    expect(run.code, run.stderr).toBe(0);
    expect(run.steps).toContain("systemctl enable passgate");
    expect(run.steps).toContain("systemctl restart passgate");
    // Without a tarball it packs this checkout.
    expect(
      run.steps.some(
        (s) =>
          s.startsWith(`npm pack --silent --pack-destination`) && s.endsWith(repoRoot.replace(/\/$/, "")),
      ),
    ).toBe(true);
  });

  it("--dry-run installs every unit and starts only the services whose config exists", () => {
    const etc = mkdtempSync(join(tmpdir(), "passgate-etc-"));
    writeFileSync(join(etc, "passgate-bridge.yaml"), "site: s\n");
    writeFileSync(join(etc, "passgate-notify.yaml"), "site: s\n");
    const run = dryRun(["/srv/passgate-0.1.0.tgz"], etc);
    expect(run.code, run.stderr).toBe(0);
    for (const unit of ["passgate", "passgate-bridge", "passgate-console", "passgate-notify"]) {
      expect(
        run.steps.some((s) =>
          new RegExp(
            `^install -m 0644 .*/scripts/${unit}\\.service /etc/systemd/system/${unit}\\.service$`,
          ).test(s),
        ),
        unit,
      ).toBe(true);
    }
    const started = run.steps.filter((s) => s.startsWith("systemctl restart ")).map((s) => s.slice(18));
    expect(started).toEqual(["passgate-bridge", "passgate-notify"]);
    expect(run.stdout).not.toContain("next: write the gate's config");
  });

  it("refuses an unknown option with exit 2", () => {
    const run = dryRun(["--force"], "/nonexistent");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option --force");
  });
});
