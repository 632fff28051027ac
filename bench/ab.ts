// The A/B runner: both sides alternate within one run (A B, B A, A B, …) so that drift in machine load
// hits both alike; repetition i of A ran right next to repetition i of B.

export interface AbOptions<T> {
  reps: number;
  /** Unmeasured runs of each side first (JIT, caches, connections). */
  warmup?: number;
  a: (rep: number) => Promise<T>;
  b: (rep: number) => Promise<T>;
  /** Called after each measured pair, for progress lines. */
  onPair?: (rep: number, a: T, b: T) => void;
  /** Overall bound: stop starting new repetitions after this many ms (at least one pair always runs). */
  budgetMs?: number;
}

export async function alternate<T>(options: AbOptions<T>): Promise<{ a: T[]; b: T[] }> {
  const started = performance.now();
  for (let i = 0; i < (options.warmup ?? 0); i++) {
    await options.a(-1);
    await options.b(-1);
  }
  const a: T[] = [];
  const b: T[] = [];
  for (let rep = 0; rep < options.reps; rep++) {
    if (rep > 0 && options.budgetMs !== undefined && performance.now() - started > options.budgetMs) break;
    let ra: T;
    let rb: T;
    if (rep % 2 === 0) {
      ra = await options.a(rep);
      rb = await options.b(rep);
    } else {
      rb = await options.b(rep);
      ra = await options.a(rep);
    }
    a.push(ra);
    b.push(rb);
    options.onPair?.(rep, ra, rb);
  }
  return { a, b };
}

/** Picks the repetition count: --reps wins, then quick or full default. */
export function repsFor(ctx: { quick: boolean; reps: number | undefined }, quick: number, full: number): number {
  return ctx.reps ?? (ctx.quick ? quick : full);
}
