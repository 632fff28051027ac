import { defineConfig } from "vitest/config";

// One runner for every package (generator, runtime, tools), so CI reads a single summary line.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "runtime/test/**/*.test.ts", "tools/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test-support/summary-reporter.ts"],
  },
});
