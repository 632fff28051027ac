/**
 * The recent-errors figure that health replies report. "Recent" means the last
 * RECENT_ERRORS_WINDOW_MS (one minute), counted in one-second buckets so that a
 * flood of errors costs constant memory; the oldest second drops out whole.
 */
export const RECENT_ERRORS_WINDOW_MS = 60_000;
const BUCKET_MS = 1_000;
const BUCKETS = RECENT_ERRORS_WINDOW_MS / BUCKET_MS;

export class RecentErrors {
  readonly #counts = new Array<number>(BUCKETS).fill(0);
  readonly #stamps = new Array<number>(BUCKETS).fill(-1);
  #total = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts one error now. */
  record(): void {
    const second = Math.floor(this.now() / BUCKET_MS);
    const slot = second % BUCKETS;
    if (this.#stamps[slot] !== second) {
      this.#stamps[slot] = second;
      this.#counts[slot] = 0;
    }
    this.#counts[slot]!++;
    this.#total++;
  }

  /** Errors within the window. */
  get recent(): number {
    const second = Math.floor(this.now() / BUCKET_MS);
    let sum = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const stamp = this.#stamps[i]!;
      if (stamp >= 0 && second - stamp < BUCKETS) sum += this.#counts[i]!;
    }
    return sum;
  }

  /** Errors since start. */
  get total(): number {
    return this.#total;
  }
}
