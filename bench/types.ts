// What a benchmark is, what it gets, and what it hands back.
import type { Artifacts } from "./artifacts.js";
import { median, summarize, type Summary } from "./stats.js";

export interface Context {
  quick: boolean;
  /** --reps N, when given: overrides each benchmark's own repetition count. */
  reps: number | undefined;
  /** --prototypes: also measure prototypes of proposed runtime changes (benchmark 6). */
  prototypes: boolean;
  /** Progress lines (stderr). */
  log: (line: string) => void;
  /** Generator snapshot, runtime build, generated project, bundles, executable: built on first use, cached. */
  artifacts: Artifacts;
}

/** A target from the issue; `report` means there is none, only a figure to read. */
export type Target =
  | { kind: "ratio<="; value: number }
  | { kind: "ratio>="; value: number }
  | { kind: "measured<="; value: number }
  | { kind: "check"; ok: boolean; text: string }
  | { kind: "report" };

export interface Side extends Summary {
  label: string;
}

export interface Figure {
  name: string;
  unit: string;
  /** Which direction is better for the measured value. */
  better: "higher" | "lower";
  measured: Side;
  baseline: Side;
  /**
   * The median of the per-repetition ratios measured[i] / baseline[i] (each pair ran back to back, so it
   * saw the same machine load); with a single value per side, simply measured / baseline.
   */
  ratio: number;
  /** Min and max of the per-repetition ratios. */
  ratioMin: number;
  ratioMax: number;
  /** median(measured) / median(baseline), for comparison. */
  ratioOfMedians: number;
  target: Target;
  /** undefined when the target is `report`. */
  met: boolean | undefined;
  note?: string;
}

export interface BenchOutput {
  figures: Figure[];
  notes: string[];
}

export interface Benchmark {
  id: number;
  name: string;
  /** One line: what is measured against what. */
  title: string;
  run(ctx: Context): Promise<BenchOutput>;
}

export interface BenchResult {
  id: number;
  name: string;
  title: string;
  status: "ok" | "skipped" | "failed";
  reason?: string;
  seconds: number;
  figures: Figure[];
  notes: string[];
}

/** Thrown by a benchmark whose prerequisites are missing (e.g. the generator is not there yet). */
export class SkipError extends Error {
  override name = "SkipError";
}

/** Builds a figure from per-repetition values of both sides (same length: index i ran next to index i). */
export function figure(options: {
  name: string;
  unit: string;
  better: "higher" | "lower";
  measured: { label: string; values: number[] };
  baseline: { label: string; values: number[] };
  target: Target;
  note?: string;
}): Figure {
  const measured = { label: options.measured.label, ...summarize(options.measured.values) };
  const baseline = { label: options.baseline.label, ...summarize(options.baseline.values) };
  const ratioOfMedians = measured.median / baseline.median;
  const pairs = Math.min(options.measured.values.length, options.baseline.values.length);
  const perRep = Array.from({ length: pairs }, (_, i) => options.measured.values[i]! / options.baseline.values[i]!).filter(
    (r) => !Number.isNaN(r),
  );
  const ratio = perRep.length > 0 && perRep.every(Number.isFinite) ? median(perRep) : ratioOfMedians;
  return {
    name: options.name,
    unit: options.unit,
    better: options.better,
    measured,
    baseline,
    ratio,
    ratioMin: perRep.length ? Math.min(...perRep) : Number.NaN,
    ratioMax: perRep.length ? Math.max(...perRep) : Number.NaN,
    ratioOfMedians,
    target: options.target,
    met: isMet(options.target, ratio, measured.median),
    ...(options.note ? { note: options.note } : {}),
  };
}

function isMet(target: Target, ratio: number, measuredMedian: number): boolean | undefined {
  switch (target.kind) {
    case "ratio<=":
      return ratio <= target.value;
    case "ratio>=":
      return ratio >= target.value;
    case "measured<=":
      return measuredMedian <= target.value;
    case "check":
      return target.ok;
    case "report":
      return undefined;
  }
}
