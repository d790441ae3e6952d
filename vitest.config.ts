import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**"],
    testTimeout: 20_000,
    // Store and CLI tests open real SQLite files and child processes; two cores is the CI size.
    pool: "forks",
  },
});
