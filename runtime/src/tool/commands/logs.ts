/**
 * `telestion logs [category] [--follow]`: what the log sink wrote to DATA_DIR/logs/<category>.log,
 * decoded with the runtime's parseLogLine (its `base64:` marker back into bytes) and shown safely.
 * Without a category, every category's lines, merged in time order, each tagged with its category.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { categoryProblem, parseLogLine } from "../../index.js";
import { showBody } from "../body.js";
import { dataDir } from "../bus-config.js";
import type { Command } from "../command.js";
import { DEV_OPTION } from "../connect.js";
import { followFiles } from "../follow.js";
import { printable } from "../../one-line.js";
import { UsageError } from "../usage-error.js";

export const logs: Command = {
  name: "logs",
  usage: "logs [category] [--follow]",
  summary: "print what the log sink wrote to DATA_DIR/logs (one category, or all merged by time)",
  help: [
    "  -f, --follow  keep printing new lines as they are written, until Ctrl-C",
    "DATA_DIR comes from --DATA_DIR=<path>, the environment or .env; --dev means ./data. Binary bodies",
    "(stored as base64) are shown as hex, text with control characters escaped.",
  ],
  options: { ...DEV_OPTION, follow: { type: "boolean", short: "f" } },
  async run({ values, positionals, config }) {
    const category = positionals[0];
    if (positionals.length > 1) throw new UsageError(`give at most one category (telestion ${logs.usage})`);
    if (category !== undefined) {
      const problem = categoryProblem(category);
      if (problem) throw new UsageError(printable(problem));
    }
    const dir = join(dataDir(config), "logs");
    const files = () => logFiles(dir, category);
    if (category === undefined && !values["follow"]) {
      const existing = files();
      if (existing.length === 0) throw new UsageError(`no log files in ${dir}: is DATA_DIR the log sink's, and has anything been logged?`);
      printMerged(existing);
      return 0;
    }
    if (category !== undefined && !values["follow"]) {
      const [file] = files();
      if (!file) throw new UsageError(`no log file ${join(dir, `${category}.log`)}: nothing logged in "${printable(category, 60)}" yet (telestion logs lists every category)`);
      for (const text of readFileSync(file.path, "utf8").split("\n")) if (text) console.log(show(text));
      return 0;
    }
    // --follow: what is there, then whatever comes, file by file as it grows.
    await followFiles(files, (file, text) => console.log(show(text, category === undefined ? file.category : undefined)));
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

/** Every category's lines, merged by timestamp (stable: a file's own order is kept). */
function printMerged(files: LogFile[]): void {
  const lines = files.flatMap((file) =>
    readFileSync(file.path, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((text) => ({ text, category: file.category, at: Date.parse(text.slice(0, text.indexOf(" "))) || 0 })),
  );
  lines.sort((a, b) => a.at - b.at);
  for (const line of lines) console.log(show(line.text, line.category));
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
