/**
 * `telestion <command> …`: one table of commands, one parse, one dispatch. Bad input is one line
 * naming the problem and the fix, and exit 2; a command's own failure is exit 1.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Command, Parsed } from "./command.js";
import { check } from "./commands/check.js";
import { logs } from "./commands/logs.js";
import { ls } from "./commands/ls.js";
import { pub } from "./commands/pub.js";
import { req } from "./commands/req.js";
import { sub } from "./commands/sub.js";
import { messageLine } from "../one-line.js";
import { UsageError } from "./usage-error.js";

const COMMANDS: Command[] = [check, ls, req, pub, sub, logs];

/** Options every bus command takes: the configuration sources of a service. */
const CONFIG_HELP = [
  "Configured like a service: NATS_URL, NATS_USER, NATS_PASSWORD from --KEY=value, the environment,",
  "or .env in the working directory; --dev for a local server (localhost:4222) without credentials.",
];

export async function main(argv: string[]): Promise<number> {
  // A reader that went away (`telestion sub x | head -1`) ends the command; check cleans up first (its
  // own listener runs before this one).
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    process.exit(0);
  });
  const [name, ...args] = argv;
  if (name === undefined) {
    console.error(overview());
    return 2;
  }
  if (name === "-h" || name === "--help" || name === "help") {
    console.log(overview());
    return 0;
  }
  if (name === "-v" || name === "--version") {
    console.log(version());
    return 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    console.error(`telestion: unknown command "${name}": use one of ${COMMANDS.map((c) => c.name).join(", ")} (telestion --help)`);
    return 2;
  }
  try {
    const parsed = parse(command, args);
    if (parsed.values["help"]) {
      console.log(commandHelp(command));
      return 0;
    }
    return await command.run(parsed);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`telestion ${command.name}: ${err.message}`);
      return 2;
    }
    console.error(`telestion ${command.name}: ${messageLine(err)}`);
    return 1;
  }
}

/**
 * node:util parseArgs with the command's options, after taking out `--KEY=value` words (upper-case
 * keys: configuration, as a service takes them) and everything after `--`.
 */
function parse(command: Command, args: string[]): Parsed {
  const dashes = args.indexOf("--");
  const own = dashes < 0 ? args : args.slice(0, dashes);
  const rest = dashes < 0 ? [] : args.slice(dashes + 1);
  const keys = own.filter((arg) => /^--[A-Z][A-Z0-9_]*=/.test(arg));
  let result;
  try {
    result = parseArgs({
      args: own.filter((arg) => !keys.includes(arg)),
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    // parseArgs's messages name the option; add the way out.
    throw new UsageError(`${messageLine(err)} (telestion ${command.name} --help)`);
  }
  const values = result.values as Parsed["values"];
  // Only check runs a command after `--`; elsewhere `--` just ends the options (`telestion pub x -- -1`).
  const positionals = command.name === "check" ? result.positionals : [...result.positionals, ...rest];
  return { values, positionals, rest: command.name === "check" ? rest : [], config: { dev: values["dev"] === true, keys } };
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  return [
    "telestion: check a service against the Telestion service standard, and see and poke a running NATS bus",
    "",
    "Usage:",
    ...COMMANDS.map((c) => `  telestion ${c.usage.padEnd(width)}  ${c.summary}`),
    "",
    ...CONFIG_HELP,
    "telestion <command> --help shows a command's options. Exit codes: 0 ok, 1 failed, 2 bad input.",
  ].join("\n");
}

function commandHelp(command: Command): string {
  const config = command.name === "check" ? [] : ["", ...CONFIG_HELP];
  return [`Usage: telestion ${command.usage}`, "", command.summary, "", ...command.help, ...config].join("\n");
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}
