/**
 * The recent-errors figure that health replies report. "Recent" means the last
 * RECENT_ERRORS_WINDOW_MS (one minute), counted in one-second buckets so that a
 * flood of errors costs constant memory; the oldest second drops out whole.
 *
 * The buckets live in a SharedArrayBuffer: the main thread records, and the health responder
 * (a thread of its own, see health-thread.ts) builds a RecentErrors on the same buffer and reads
 * `recent` itself, so a health reply never needs the main thread's help.
 */
export const RECENT_ERRORS_WINDOW_MS = 60_000;
const BUCKET_MS = 1_000;
const BUCKETS = RECENT_ERRORS_WINDOW_MS / BUCKET_MS;
// Layout: BUCKETS counts, then BUCKETS stamps (Int32), then the total (BigInt64, 8-byte aligned).
const INT32_BYTES = 2 * BUCKETS * Int32Array.BYTES_PER_ELEMENT;
const BUFFER_BYTES = INT32_BYTES + BigInt64Array.BYTES_PER_ELEMENT;

export class RecentErrors {
  readonly #counts: Int32Array;
  /**
   * The second each bucket counts, as an Int32 (wraps in 2038): only differences of a minute are ever
   * compared, in wrapping arithmetic. A bucket never used has count 0, so it needs no "unused" mark.
   */
  readonly #stamps: Int32Array;
  readonly #total: BigInt64Array;

  /** A new counter, or a view of `buffer` made by another thread's RecentErrors. */
  constructor(
    private readonly now: () => number = Date.now,
    readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(BUFFER_BYTES),
  ) {
    this.#counts = new Int32Array(buffer, 0, BUCKETS);
    this.#stamps = new Int32Array(buffer, BUCKETS * Int32Array.BYTES_PER_ELEMENT, BUCKETS);
    this.#total = new BigInt64Array(buffer, INT32_BYTES, 1);
  }

  /** Counts one error now. Only one thread records (the service's main thread). */
  record(): void {
    const second = Math.floor(this.now() / BUCKET_MS) | 0;
    const slot = ((second % BUCKETS) + BUCKETS) % BUCKETS;
    if (Atomics.load(this.#stamps, slot) !== second) {
      // Reset before restamping: a reader that sees the new stamp also sees the count reset.
      Atomics.store(this.#counts, slot, 0);
      Atomics.store(this.#stamps, slot, second);
    }
    Atomics.add(this.#counts, slot, 1);
    Atomics.add(this.#total, 0, 1n);
  }

  /** Errors within the window. */
  get recent(): number {
    const second = Math.floor(this.now() / BUCKET_MS) | 0;
    let sum = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const age = (second - Atomics.load(this.#stamps, i)) | 0;
      if (age >= 0 && age < BUCKETS) sum += Atomics.load(this.#counts, i);
    }
    return sum;
  }

  /** Errors since start. */
  get total(): number {
    return Number(Atomics.load(this.#total, 0));
  }
}
