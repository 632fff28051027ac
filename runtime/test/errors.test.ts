import { describe, expect, it } from "vitest";
import { RECENT_ERRORS_WINDOW_MS, RecentErrors } from "../src/errors.js";

describe("RecentErrors", () => {
  it("counts errors within the last minute and forgets older ones", () => {
    let now = 1_000_000;
    const errors = new RecentErrors(() => now);
    errors.record();
    errors.record();
    now += 30_000;
    errors.record();
    expect(errors.recent).toBe(3);
    now += RECENT_ERRORS_WINDOW_MS - 29_000; // the first two are now older than the window
    expect(errors.recent).toBe(1);
    now += RECENT_ERRORS_WINDOW_MS;
    expect(errors.recent).toBe(0);
    expect(errors.total).toBe(3);
  });

  it("does not count a stale bucket that its slot is reused for", () => {
    let now = 0;
    const errors = new RecentErrors(() => now);
    errors.record();
    now += RECENT_ERRORS_WINDOW_MS; // same slot, one window later
    errors.record();
    expect(errors.recent).toBe(1);
  });

  it("keeps constant memory under a flood", () => {
    let now = 0;
    const errors = new RecentErrors(() => now);
    for (let i = 0; i < 100_000; i++) {
      now += 1;
      errors.record();
    }
    // One error per ms; one-second buckets make the window 59 to 60 s long.
    expect(errors.recent).toBeGreaterThan(RECENT_ERRORS_WINDOW_MS - 1_000);
    expect(errors.recent).toBeLessThanOrEqual(RECENT_ERRORS_WINDOW_MS);
    expect(errors.total).toBe(100_000);
  });

  it("shares its figures with a view of its buffer (as the health thread reads them)", () => {
    let now = 5_000_000;
    const errors = new RecentErrors(() => now);
    const view = new RecentErrors(() => now, errors.buffer);
    expect(errors.buffer).toBeInstanceOf(SharedArrayBuffer);
    errors.record();
    errors.record();
    expect(view.recent).toBe(2);
    expect(view.total).toBe(2);
    now += RECENT_ERRORS_WINDOW_MS;
    expect(view.recent).toBe(0);
    expect(view.total).toBe(2);
  });
});
