import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**", ".bench-cache/**"],
    testTimeout: 20_000,
    // Store and CLI tests open real SQLite files and child processes: one process per file.
    pool: "forks",
    // Vitest's default leaves one core free, so a 2-core machine (the CI size) would run one
    // file at a time; many files mostly wait on a broker, a pty or a child process, so one
    // file per core keeps both busy. Timing bounds in tests are generous for that reason.
    maxWorkers: Math.max(2, availableParallelism()),
    // Stops at once when mosquitto or socat is missing; rebuilds a stale dist/ for the spawned CLI.
    globalSetup: ["test/global-setup.ts"],
  },
});
