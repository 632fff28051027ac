/** The report of `check`: one line per rule as it completes, a summary line, or all of it as JSON. */
import type { Status } from "./rules.js";

export interface Entry {
  id: string;
  status: Status;
  required: boolean;
  /** The figure measured, or for a failure what happened. */
  measured: string;
  /** What the standard asks. */
  standard: string;
}

export interface Report {
  ok: boolean;
  command: string[];
  durationMs: number;
  rules: Entry[];
}

const ID_WIDTH = 20;

/** `FAIL health               request 1 of 5: no reply within 0.5 s · standard: …` (the standard with failures only). */
export function formatEntry(entry: Entry): string {
  const standard = entry.status === "FAIL" ? ` · standard: ${entry.standard}` : "";
  return `${entry.status} ${entry.id.padEnd(ID_WIDTH)} ${entry.measured}${standard}`;
}

export function summary(report: Report): string {
  const count = (status: Status) => report.rules.filter((e) => e.status === status);
  const failed = count("FAIL");
  const required = failed.filter((e) => e.required);
  const verdict = report.ok ? "the service meets every required rule" : `required rule(s) failed: ${required.map((e) => e.id).join(", ")}`;
  return `${verdict} (${count("PASS").length} passed, ${failed.length} failed, ${count("WARN").length} warning(s), in ${(report.durationMs / 1000).toFixed(1)} s)`;
}

export function isOk(entries: Entry[]): boolean {
  return entries.every((e) => e.status !== "FAIL" || !e.required);
}
