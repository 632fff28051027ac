/**
 * NATS micro discovery (ADR-32 of nats-io/nats-architecture-and-design): every instance answers
 * `$SRV.PING`, `$SRV.INFO` and `$SRV.STATS`, each for all services, for its name and for its name and
 * id, so that `nats micro ls/info/stats` and any NATS micro client find Telestion services.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { oneLine } from "./one-line.js";
import { MICRO_PREFIX } from "./subjects.js";
import type { EndpointStats } from "./subscribe.js";

export const MICRO_VERBS = ["PING", "INFO", "STATS"] as const;
export type MicroVerb = (typeof MICRO_VERBS)[number];

/** What a version falls back to when the service's package.json has none (or none that is semver). */
export const FALLBACK_VERSION = "0.0.0";

/** Metadata keys that keep the Telestion names, which the micro name and id may have had to change. */
export const NAME_METADATA_KEY = "telestion.service_name";
export const ID_METADATA_KEY = "telestion.service_id";

// The semver.org regular expression, as ADR-32 asks and jsm.go's schemas check.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/**
 * The one naming rule: every character outside `A-Z a-z 0-9 - _` becomes `_` (a micro name allows only
 * these, and a subject token can hold no dot or space). SERVICE_NAME may be anything, so a name is
 * mapped, never refused; the generator's names (lower-case letters, digits, dashes) stay as they are.
 */
export function microName(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/gu, "_") || "_";
}


/** The three subjects an instance answers `verb` on: for all services, for its name, for its name and id. */
export function microSubjects(verb: MicroVerb, name: string, id: string): string[] {
  return [`${MICRO_PREFIX}.${verb}`, `${MICRO_PREFIX}.${verb}.${name}`, `${MICRO_PREFIX}.${verb}.${name}.${id}`];
}

export interface PackageFacts {
  version: string;
  description: string;
}

/**
 * The service's own version and description: as the service passed them (a bundle or an executable
 * has no package.json beside it), else from the package.json nearest the entry script
 * (process.argv[1]) outside node_modules (a test runner's or a tool's package is not the service),
 * else from the one nearest the working directory; a version that is not semver is FALLBACK_VERSION.
 */
export function servicePackage(
  given: Partial<PackageFacts> = {},
  entry: string | undefined = process.argv[1],
  cwd: string = process.cwd(),
): PackageFacts {
  const pkg = given.version !== undefined && given.description !== undefined ? {} : readServicePackage(entry, cwd);
  const version = given.version ?? pkg.version;
  return {
    version: typeof version === "string" && SEMVER.test(version) ? version : FALLBACK_VERSION,
    description: given.description ?? (typeof pkg.description === "string" ? pkg.description : ""),
  };
}

function readServicePackage(entry: string | undefined, cwd: string): { version?: unknown; description?: unknown } {
  const fromEntry = entry && !resolve(entry).split(sep).includes("node_modules") ? nearestPackageJson(dirname(resolve(entry))) : undefined;
  const file = fromEntry ?? nearestPackageJson(resolve(cwd));
  try {
    if (file) return JSON.parse(readFileSync(file, "utf8")) as { version?: unknown; description?: unknown };
  } catch {
    // An unreadable package.json leaves discovery with the fallbacks; it is no reason to refuse to start.
  }
  return {};
}

function nearestPackageJson(dir: string): string | undefined {
  for (let current = dir; ; current = dirname(current)) {
    const candidate = join(current, "package.json");
    if (existsSync(candidate)) return candidate;
    if (dirname(current) === current) return undefined;
  }
}

/** What discovery answers about one instance. */
export interface MicroSource {
  serviceName: string;
  serviceId: string;
  started: Date;
  version: string;
  description: string;
  /** The instance's handlers with their figures; only reply handlers are micro endpoints. */
  endpoints: () => EndpointStats[];
}

/** The fields every discovery response starts with (ADR-32, "Standard Field"). */
function standardFields(source: MicroSource, verb: MicroVerb) {
  return {
    type: `io.nats.micro.v1.${verb.toLowerCase()}_response`,
    name: microName(source.serviceName),
    id: microName(source.serviceId),
    version: source.version,
    metadata: { [NAME_METADATA_KEY]: source.serviceName, [ID_METADATA_KEY]: source.serviceId },
  };
}

// queue_group is "" for an endpoint without one, as nats.go (and so the NATS CLI) sends it: some
// clients (nats-py's parsers) require the key.
function replyEndpoints(source: MicroSource): EndpointStats[] {
  return source.endpoints().filter((e) => e.kind === "reply");
}

/** The `$SRV.<verb>` response of `source`, as jsm.go's schemas micro/v1/<verb>_response define it. */
export function microResponse(source: MicroSource, verb: MicroVerb): Record<string, unknown> {
  const standard = standardFields(source, verb);
  if (verb === "PING") return standard;
  if (verb === "INFO") {
    return {
      ...standard,
      description: source.description,
      endpoints: replyEndpoints(source).map((e) => ({ name: microName(e.subject), subject: e.subject, queue_group: e.queue ?? "", metadata: {} })),
    };
  }
  return {
    ...standard,
    started: source.started.toISOString(),
    endpoints: replyEndpoints(source).map((e) => {
      const processingTime = Math.round(e.processingTimeNs);
      return {
        name: microName(e.subject),
        subject: e.subject,
        queue_group: e.queue ?? "",
        num_requests: e.numRequests,
        num_errors: e.numErrors,
        last_error: e.lastError,
        processing_time: processingTime,
        average_processing_time: e.numRequests > 0 ? Math.round(processingTime / e.numRequests) : 0,
      };
    }),
  };
}

/** The running discovery responder; `stop()` ends its subscriptions. */
export interface MicroResponder {
  stop(): void;
}

const encoder = new TextEncoder();

/**
 * Answers discovery on `nc`, outside any queue group: every instance answers, as ADR-32 asks. This is
 * the main connection on purpose, not the health thread's: the handlers and their figures live here,
 * so a PING that is answered proves the connection that serves the endpoints is alive, and its round
 * trip is theirs. Callbacks run in the NATS client's socket reader, so nothing here may throw.
 */
export function answerMicro(nc: NatsConnection, source: MicroSource, report: (line: string) => void = (line) => console.error(line)): MicroResponder {
  const name = microName(source.serviceName);
  const id = microName(source.serviceId);
  const subscriptions: Subscription[] = [];
  for (const verb of MICRO_VERBS) {
    for (const subject of microSubjects(verb, name, id)) {
      subscriptions.push(
        nc.subscribe(subject, {
          callback: (err, msg) => {
            try {
              if (err) throw err;
              if (msg.reply) msg.respond(encoder.encode(JSON.stringify(microResponse(source, verb))));
            } catch (problem) {
              report(`[telestion] cannot answer ${subject}: ${oneLine(problem)}`);
            }
          },
        }),
      );
    }
  }
  return {
    stop() {
      for (const sub of subscriptions) {
        try {
          sub.unsubscribe();
        } catch {
          // Already closed with the connection: nothing left to stop.
        }
      }
    },
  };
}
