// The table on stdout and the same figures as JSON (bench/results/latest.json).
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname } from "node:path";
import type { BenchResult, Figure, Target } from "./types.js";

export interface RunInfo {
  date: string;
  quick: boolean;
  argv: string[];
  seconds: number;
  loadavgStart: number[];
}

export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return "–";
  switch (unit) {
    case "msg/s":
    case "req/s":
    case "lines/s":
    case "lines":
    case "packages":
      return Math.round(value).toLocaleString("en-US");
    case "bytes":
      return value >= 1024 * 1024 ? `${(value / 1024 / 1024).toFixed(2)} MiB` : `${(value / 1024).toFixed(1)} KiB`;
    case "ms":
      return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
    case "µs":
      return value.toFixed(2);
    default:
      return value.toPrecision(4);
  }
}

function unitSuffix(unit: string): string {
  return unit === "bytes" ? "" : ` ${unit}`;
}

function side(value: { median: number; min: number; max: number }, unit: string): string {
  return `${formatValue(value.median, unit)}${unitSuffix(unit)} [${formatValue(value.min, unit)}–${formatValue(value.max, unit)}]`;
}

export function targetText(target: Target): string {
  switch (target.kind) {
    case "ratio<=":
      return `≤ ${target.value}×`;
    case "ratio>=":
      return `≥ ${target.value}×`;
    case "measured<=":
      return `≤ ${target.value}`;
    case "check":
      return target.text;
    case "report":
      return "report";
  }
}

function ratioText(value: number): string {
  if (Number.isNaN(value)) return "–";
  return Number.isFinite(value) ? value.toFixed(2) : "∞";
}

function verdict(f: Figure): string {
  if (f.met === undefined) return "–";
  return f.met ? "met" : "MISSED";
}

/** One row per figure (measured vs baseline); skipped and failed benchmarks get one row with the reason. */
export function renderTable(results: BenchResult[]): string {
  const header = ["#", "figure: measured vs baseline", "measured [min–max]", "baseline [min–max]", "ratio [min–max]", "target", ""];
  const rows: string[][] = [];
  for (const r of results) {
    if (r.status !== "ok") {
      rows.push([String(r.id), `${r.name}: ${r.status}: ${r.reason ?? ""}`, "", "", "", "", r.status === "failed" ? "FAILED" : "skipped"]);
      continue;
    }
    for (const f of r.figures) {
      rows.push([
        String(r.id),
        `${f.name}: ${f.measured.label} vs ${f.baseline.label}`,
        side(f.measured, f.unit),
        side(f.baseline, f.unit),
        Number.isFinite(f.ratio) ? `${f.ratio.toFixed(3)} [${ratioText(f.ratioMin)}–${ratioText(f.ratioMax)}]` : "–",
        targetText(f.target),
        verdict(f),
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(" │ ").trimEnd();
  return [line(header), widths.map((w) => "─".repeat(w)).join("─┼─"), ...rows.map(line)].join("\n");
}

export function summary(results: BenchResult[]): { met: number; missed: number; report: number; skipped: number; failed: number } {
  const figures = results.flatMap((r) => r.figures);
  return {
    met: figures.filter((f) => f.met === true).length,
    missed: figures.filter((f) => f.met === false).length,
    report: figures.filter((f) => f.met === undefined).length,
    skipped: results.filter((r) => r.status === "skipped").length,
    failed: results.filter((r) => r.status === "failed").length,
  };
}

export function writeJson(file: string, info: RunInfo, results: BenchResult[]): void {
  const cpu = cpus();
  const json = {
    schema: 1,
    ...info,
    machine: {
      cpus: cpu.length,
      model: cpu[0]?.model ?? "unknown",
      memoryBytes: totalmem(),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadavgEnd: loadavg(),
    },
    summary: summary(results),
    benchmarks: results.map((r) => ({
      ...r,
      figures: r.figures.map((f) => ({ ...f, targetText: targetText(f.target) })),
    })),
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(json, null, 2) + "\n");
}
