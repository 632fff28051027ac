/** What every subcommand is: a table entry the CLI dispatches to (see commands/). */
import type { ParseArgsConfig } from "node:util";
import type { ConfigFlags } from "./bus-config.js";

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** Words after `--` (check's service command). */
  rest: string[];
  config: ConfigFlags;
}

export interface Command {
  name: string;
  /** `telestion <usage>` in the help. */
  usage: string;
  summary: string;
  /** Lines of the help that explain the options. */
  help: string[];
  options: NonNullable<ParseArgsConfig["options"]>;
  /** Resolves to the exit code. */
  run(parsed: Parsed): Promise<number>;
}
