import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**"],
    testTimeout: 20_000,
    // Store and CLI tests open real SQLite files and child processes; two cores is the CI size.
    pool: "forks",
    // Stops at once when mosquitto or socat is missing; rebuilds a stale dist/ for the spawned CLI.
    globalSetup: ["test/global-setup.ts"],
  },
});
