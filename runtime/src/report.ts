/**
 * A line that may repeat thousands of times a second (drops, backlog) is printed at most once per
 * interval, with how many times it happened since: stderr stays readable under a flood.
 */
export class ThrottledReport {
  #lastAt = Number.NEGATIVE_INFINITY;
  #count = 0;

  constructor(
    private readonly print: (line: string) => void,
    private readonly intervalMs = 5_000,
  ) {}

  /** Counts one occurrence; prints `line(count)` when the interval has passed since the last print. */
  add(line: (count: number) => string): void {
    this.#count++;
    const now = Date.now();
    if (now - this.#lastAt < this.intervalMs) return;
    this.#lastAt = now;
    this.print(line(this.#count));
    this.#count = 0;
  }
}
