/**
 * What `./my-service --help` and `--version` answer. Both are answered before the configuration is
 * read: a user who asks how to start the service has usually not configured it yet.
 */
import { basename } from "node:path";

export type Question = "help" | "version";

/** `--help`/`-h` or `--version` among the words before `--` (after it, the words are the service's own). */
export function askedFor(argv: readonly string[]): Question | undefined {
  const dashes = argv.indexOf("--");
  const own = dashes < 0 ? argv : argv.slice(0, dashes);
  if (own.includes("--help") || own.includes("-h")) return "help";
  if (own.includes("--version")) return "version";
  return undefined;
}

/**
 * The program's name as the user typed it: the bundle's file, or the single executable (whose
 * process.argv[1] is the executable itself).
 */
export function programName(): string {
  const entry = process.argv[1];
  return entry ? basename(entry) : "service";
}

export function usage(name: string): string {
  return `Usage: ${name} [--dev] [--KEY=value …]

A Telestion service (telestion-runtime). Configuration, lowest precedence first: --dev defaults,
CONFIG_FILE (a JSON file; CONFIG_KEY picks one object of it), .env in the working directory, the
environment, --KEY=value arguments. Required:
  NATS_URL       the NATS server, host:port or nats://host:port (comma-separated for several)
  NATS_USER      the NATS user; may be empty (no authentication)
  NATS_PASSWORD  its password; may be empty; never printed
  SERVICE_NAME   the service's name and NATS queue group
  DATA_DIR       the data folder, shared between services
Optional: SERVICE_ID (this instance's id; generated when absent), DEBUG (start-up errors with stack).

Options:
  --dev          local defaults: NATS_URL=localhost:4222 without credentials, DATA_DIR=./data,
                 SERVICE_NAME=dev-<folder>; waits for NATS to start instead of exiting
  --KEY=value    set any configuration key, e.g. --NATS_URL=nats://10.0.0.2:4222
  -h, --help     show this help;  --version  print the service's version

SIGTERM or SIGINT stops it cleanly (exit 0); a start-up error prints one line and exits 1.
Docs: the project's README.md, and telestion-runtime's README.md (node_modules/telestion-runtime).`;
}
