import { defineConfig } from "vitest/config";

// One runner for both packages (generator; runtime with the telestion command), so CI reads a single summary line.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "runtime/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test-support/summary-reporter.ts"],
  },
});
