/**
 * `telestion logs [category] [-n N] [--follow]`: the last lines the log sink wrote to
 * DATA_DIR/logs/<category>.log, decoded with the runtime's parseLogLine (its `base64:` marker back into
 * bytes) and shown safely. Without a category, every category's lines, merged in time order, each
 * tagged with its category. Files are read from their end (tail.ts), so their size does not matter.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { categoryProblem, parseLogLine } from "../../index.js";
import { showBody } from "../body.js";
import { dataDir } from "../bus-config.js";
import type { Command } from "../command.js";
import { DEV_OPTION, positiveInt } from "../connect.js";
import { followFiles } from "../follow.js";
import { tailFile } from "../tail.js";
import { printable } from "../../one-line.js";
import { UsageError } from "../usage-error.js";

/** Lines printed when --lines is not given. */
const DEFAULT_LINES = 100;

export const logs: Command = {
  name: "logs",
  usage: "logs [category] [-n N] [--follow]",
  summary: "print the last lines the log sink wrote to DATA_DIR/logs (one category, or all merged by time)",
  help: [
    `  -n, --lines N  how many of the last lines to print (default ${DEFAULT_LINES}); files are read from`,
    "                 their end, so a large log costs no more than a small one",
    "  -f, --follow   then keep printing new lines as they are written, until Ctrl-C",
    "DATA_DIR comes from --DATA_DIR=<path>, the environment or .env; --dev means ./data. Binary bodies",
    "(stored as base64) are shown as hex, text with control characters escaped.",
  ],
  options: { ...DEV_OPTION, follow: { type: "boolean", short: "f" }, lines: { type: "string", short: "n" } },
  async run({ values, positionals, config }) {
    const category = positionals[0];
    if (positionals.length > 1) throw new UsageError(`give at most one category (telestion ${logs.usage})`);
    if (category !== undefined) {
      const problem = categoryProblem(category);
      if (problem) throw new UsageError(printable(problem));
    }
    const count = positiveInt(values["lines"], "--lines", DEFAULT_LINES);
    const follow = values["follow"] === true;
    const dir = join(dataDir(config), "logs");
    const files = () => logFiles(dir, category);
    const existing = files();
    if (existing.length === 0 && !follow) {
      if (category === undefined) throw new UsageError(`no log files in ${dir}: is DATA_DIR the log sink's, and has anything been logged?`);
      throw new UsageError(`no log file ${join(dir, `${category}.log`)}: nothing logged in "${printable(category, 60)}" yet (telestion logs lists every category)`);
    }
    const tag = (file: LogFile) => (category === undefined ? file.category : undefined);
    // Following goes on after the last complete line shown; a line still being written comes then.
    const ends = new Map<string, number>();
    const lines = existing.flatMap((file) => {
      const tail = tailFile(file.path, count);
      ends.set(file.path, tail.end);
      const texts = tail.lines.map((line) => line.toString("utf8"));
      if (!follow && tail.partial.byteLength > 0) texts.push(tail.partial.toString("utf8"));
      return texts.filter(Boolean).map((text) => ({ text, category: tag(file), at: timeOf(text) }));
    });
    // Each file's lines are in time order; the merge is stable, so a file's own order is kept.
    if (category === undefined) lines.sort((a, b) => a.at - b.at);
    for (const line of lines.slice(-count)) console.log(show(line.text, line.category));
    if (!follow) return 0;
    // --follow: then whatever comes, file by file as it grows (a file that appears later from its start).
    await followFiles(files, (file, text) => console.log(show(text, tag(file))), ends);
    return 0;
  },
};

export interface LogFile {
  category: string;
  path: string;
}

/** The log files of one category (zero or one), or of all. */
function logFiles(dir: string, category: string | undefined): LogFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return names
    .filter((name) => name.endsWith(".log") && (category === undefined || name === `${category}.log`))
    .sort()
    .map((name) => ({ category: name.slice(0, -".log".length), path: join(dir, name) }));
}

/** A stored line's timestamp in ms, for the merge (0 when it has none). */
function timeOf(text: string): number {
  return Date.parse(text.slice(0, text.indexOf(" "))) || 0;
}

/** One stored line for a terminal: `<timestamp> [<category>] <body>`. */
export function show(text: string, category?: string): string {
  const tag = category === undefined ? "" : ` ${printable(category, 60)}`;
  try {
    const { at, body } = parseLogLine(text);
    return `${at.toISOString()}${tag} ${showBody(body)}`;
  } catch {
    return `?${tag} ${printable(text)} (not a log sink line)`;
  }
}
