import { exampleSubjectOf } from "./handlers.js";
import { packageManagerFacts, type PackageManager } from "./package-manager.js";
import { shellQuote } from "./shell-quote.js";

/**
 * The first commands a new user runs against the service in development (`dev`: a local NATS without
 * credentials), for the README and the CLI's next steps: see it run, send each first handler what its
 * template accepts, and read what the log sink wrote. One list, so both say the same.
 */
export interface TryIt {
  command: string;
  /** What it shows, for a comment beside it. */
  why: string;
}

/** The bodies the handler templates accept (their zod schemas Reading and Command). */
const EXAMPLE_BODY = { subscribe: '{"value": 21.5}', reply: '{"command": "ping"}' } as const;

export function tryItCommands(subscribe: readonly string[], reply: readonly string[], pm: PackageManager): TryIt[] {
  const telestion = [...packageManagerFacts(pm).exec, "telestion"].join(" ");
  const commands: TryIt[] = [
    { command: `${telestion} ls --dev`, why: "running services, from their health replies" },
    // Before the first request or message: a line logged while no sink runs is not written anywhere.
    {
      command: `${[...packageManagerFacts(pm).exec, "telestion-log-sink"].join(" ")} --dev`,
      why: "the log sink, left running in a terminal of its own: it writes what handlers log from now on to data/logs/",
    },
  ];
  if (reply[0] !== undefined) {
    commands.push({ command: `${telestion} req ${shellQuote(reply[0])} '${EXAMPLE_BODY.reply}' --dev`, why: "a request: prints the reply" });
  }
  if (subscribe[0] !== undefined) {
    const subject = exampleSubjectOf(subscribe[0]);
    commands.push({ command: `${telestion} pub ${shellQuote(subject)} '${EXAMPLE_BODY.subscribe}' --dev`, why: "a message for the subscription" });
  }
  commands.push({ command: `${telestion} logs --dev`, why: "what the log sink wrote" });
  return commands;
}
