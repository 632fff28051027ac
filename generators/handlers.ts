/**
 * Names for handler modules, derived from their subjects, their lines in src/main.ts, and which of
 * them share a queue group (where the runtime's overlap rule applies).
 *
 * This is create-telestion-service's generators/handlers.ts. Every generated project gets it as
 * plop-templates/handlers.js (compiled to JavaScript, comments kept), which its plopfile.js imports:
 * so a handler added later with `npm run generate` is named and registered exactly like one generated
 * with the project. Keep it free of imports, so the compiled file runs on its own.
 */

/**
 * The kinds of handler, each with its template (`<kind>.ts.hbs`, `<kind>.test.ts.hbs`):
 *   subscribe      work: in queue group SERVICE_NAME, so each message reaches one instance of the service
 *   subscribe-all  state: no queue group (`{ queue: false }`), so every instance receives every message
 *   reply          answers requests, in queue group SERVICE_NAME
 *   publish        called on a timer (`service.publishEvery`); its return value is published
 */
export type HandlerKind = "subscribe" | "subscribe-all" | "reply" | "publish";

/** The kinds that receive messages, and so are registered in a queue group (or none). */
export type ReceivingKind = Exclude<HandlerKind, "publish">;

const PREFIX: Record<HandlerKind, string> = { subscribe: "on", "subscribe-all": "on", reply: "answer", publish: "read" };

/**
 * A handler as the runtime registers it: `service.subscribe` or `service.reply`, and its queue group
 * (undefined: the default, SERVICE_NAME; a string: that group; false: none).
 */
export interface QueuedRegistration {
  kind: "subscribe" | "reply";
  subject: string;
  queue?: string | false;
}

/** How a handler of `kind` on `subject` is registered. */
export function registrationOf(kind: ReceivingKind, subject: string): QueuedRegistration {
  return kind === "subscribe-all" ? { kind: "subscribe", subject, queue: false } : { kind, subject };
}

/**
 * Whether the runtime holds `a` and `b` to its overlap rule: only when they are in one queue group.
 * NATS gives a message to one member of a group, so two overlapping handlers there would each miss
 * some of the other's messages; in different groups, or in none, each gets every message it matches.
 */
export function shareQueueGroup(a: QueuedRegistration, b: QueuedRegistration): boolean {
  return a.queue !== false && a.queue === b.queue;
}

/**
 * The first problem `overlapProblem` (telestion-runtime/subjects, passed in: this module imports
 * nothing) finds between a registration and an earlier one in its queue group, as the runtime checks
 * each registration against those before it when the service starts.
 */
export function queueGroupProblem<T extends QueuedRegistration>(
  registrations: readonly T[],
  overlapProblem: (first: T, second: T) => string | undefined,
): string | undefined {
  for (let i = 0; i < registrations.length; i++) {
    for (let j = 0; j < i; j++) {
      if (!shareQueueGroup(registrations[j]!, registrations[i]!)) continue;
      const problem = overlapProblem(registrations[j]!, registrations[i]!);
      if (problem) return problem;
    }
  }
  return undefined;
}

export interface HandlerSpec {
  kind: HandlerKind;
  subject: string;
  /** File name stem, also the log category: lower-case letters, digits and single dashes. */
  slug: string;
  /** The exported handler function, e.g. `onTelemetryGps` or `answerTimeNow`. */
  functionName: string;
  /** The subject as a TypeScript string literal. */
  subjectLiteral: string;
  /** A concrete subject the subject matches (wildcards filled in), as a literal, for tests. */
  exampleSubjectLiteral: string;
  /** A publisher's interval in milliseconds; undefined for the other kinds. */
  intervalMs?: number;
}

/** `telemetry.*` → `telemetry-any`: tokens joined by dashes, wildcards named, nothing a file system minds. */
export function slugOf(subject: string): string {
  const words = subject
    .split(".")
    .map((token) => (token === "*" ? "any" : token === ">" ? "all" : token))
    .join("-")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return words.join("-") || "handler";
}

/** `time-now` + reply → `answerTimeNow`. */
export function functionNameOf(kind: HandlerKind, slug: string): string {
  const pascal = slug
    .split("-")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join("");
  return PREFIX[kind] + pascal;
}

/** Wildcards replaced by a sample token, so a test can build a message the subscription would receive. */
export function exampleSubjectOf(subject: string): string {
  return subject
    .split(".")
    .map((token) => (token === "*" || token === ">" ? "example" : token))
    .join(".");
}

/**
 * The key two handlers must not share: the slug without dashes. Distinct keys give distinct file
 * names and distinct function names (`a-b-2` and `a-b2` would both be `onAB2`).
 */
export function nameKey(slug: string): string {
  return slug.replaceAll("-", "");
}

/**
 * The spec for one handler: the first of `slug`, `slug-2`, `slug-3`, … whose key is not `taken`.
 * A publisher also needs its interval (`intervalMs`).
 */
export function handlerSpec(kind: HandlerKind, subject: string, taken: ReadonlySet<string>, intervalMs?: number): HandlerSpec {
  const base = slugOf(subject);
  let slug = base;
  for (let n = 2; taken.has(nameKey(slug)); n++) slug = `${base}-${n}`;
  return {
    kind,
    subject,
    slug,
    functionName: functionNameOf(kind, slug),
    subjectLiteral: JSON.stringify(subject),
    exampleSubjectLiteral: JSON.stringify(exampleSubjectOf(subject)),
    ...(kind === "publish" ? { intervalMs: intervalMs ?? DEFAULT_INTERVAL_MS } : {}),
  };
}

/** A publisher's interval when none is given: `--publish sensors.temperature` publishes every second. */
export const DEFAULT_INTERVAL = "1s";
const DEFAULT_INTERVAL_MS = 1000;
/** The longest wait Node's timers keep: a longer one fires after 1 ms instead. */
export const MAX_INTERVAL_MS = 2 ** 31 - 1;

/**
 * A publisher as `--publish` and `npm run generate` take it: `<subject>@<interval>`, or `<subject>`
 * for the default interval. The interval is what follows the last `@`, so a subject that contains `@`
 * itself (NATS allows it) is given with its interval: `a@b@1s`.
 */
export function splitPublication(text: string): { subject: string; interval: string | undefined } {
  const at = text.lastIndexOf("@");
  return at < 0 ? { subject: text, interval: undefined } : { subject: text.slice(0, at), interval: text.slice(at + 1) };
}

/**
 * `500ms` → 500, `2s` → 2000, `0.5s` → 500: a decimal number and the unit `ms` or `s`; undefined for
 * anything else. Seconds are converted by moving the decimal point, not by multiplying, so `0.007s` is
 * exactly 7 (0.007 * 1000 is 7.000000000000001).
 */
export function intervalMsOf(interval: string): number | undefined {
  const match = /^(\d+)(?:\.(\d+))?(ms|s)$/.exec(interval);
  if (!match) return undefined;
  const [, whole, fraction = "", unit] = match;
  const places = unit === "s" ? 3 : 0;
  return Number(`${whole}${fraction.slice(0, places).padEnd(places, "0")}.${fraction.slice(places) || "0"}`);
}

/** Why `interval` cannot be the interval of a publisher on `subject`, as one line, or undefined. */
export function intervalProblem(interval: string, subject: string): string | undefined {
  const what = `interval "${interval}" of publish subject "${subject}"`;
  const ms = intervalMsOf(interval);
  if (ms === undefined) {
    return /^\d+(\.\d+)?$/.test(interval)
      ? `${what} has no unit; write ${interval}ms or ${interval}s`
      : `${what} is not a duration; give a number with the unit ms or s, e.g. 500ms or 2s`;
  }
  if (ms < 1) return `${what} is under 1 ms; give 1ms or more, e.g. 500ms`;
  // The runtime's timer would take a fraction, but the generated code and its README speak whole milliseconds.
  if (!Number.isInteger(ms)) return `${what} is not a whole number of milliseconds; round it to whole milliseconds`;
  if (ms > MAX_INTERVAL_MS) return `${what} is longer than Node's timers can wait; give at most ${MAX_INTERVAL_MS}ms (about 24 days)`;
  return undefined;
}

/**
 * The first problem with a publisher given as `<subject>[@<interval>]`: its subject by `subjectProblem`
 * (telestion-runtime/subjects' rule for "publish", passed in: this module imports nothing), then its interval.
 */
export function publicationProblem(text: string, subjectProblem: (subject: string) => string | undefined): string | undefined {
  const { subject, interval } = splitPublication(text);
  return subjectProblem(subject) ?? (interval === undefined ? undefined : intervalProblem(interval, subject));
}

/** A valid `<subject>[@<interval>]` as its subject and interval in milliseconds. */
export function publicationOf(text: string): { subject: string; intervalMs: number } {
  const { subject, interval = DEFAULT_INTERVAL } = splitPublication(text);
  const problem = intervalProblem(interval, subject);
  if (problem) throw new Error(problem);
  return { subject, intervalMs: intervalMsOf(interval)! };
}

/** The subjects a project is generated with, per kind of handler; publishers as `<subject>[@<interval>]`. */
export interface HandlerSubjects {
  subscribe: readonly string[];
  subscribeAll: readonly string[];
  reply: readonly string[];
  publish?: readonly string[];
}

/**
 * Specs for every subscription, then every subscribe-all subject, every reply subject and every
 * publisher, each name unique among all of them.
 */
export function handlerSpecs({ subscribe, subscribeAll, reply, publish = [] }: HandlerSubjects): HandlerSpec[] {
  const taken = new Set<string>();
  const wanted: Array<{ kind: HandlerKind; subject: string; intervalMs?: number }> = [
    ...subscribe.map((subject) => ({ kind: "subscribe" as const, subject })),
    ...subscribeAll.map((subject) => ({ kind: "subscribe-all" as const, subject })),
    ...reply.map((subject) => ({ kind: "reply" as const, subject })),
    ...publish.map((text) => ({ kind: "publish" as const, ...publicationOf(text) })),
  ];
  return wanted.map(({ kind, subject, intervalMs }) => {
    const spec = handlerSpec(kind, subject, taken, intervalMs);
    taken.add(nameKey(spec.slug));
    return spec;
  });
}

/**
 * The statement that registers a handler in src/main.ts. A subscribe-all handler keeps state of its
 * own and needs no service; `{ queue: false }` gives every instance every message. A publisher is
 * called with nothing every interval, and what it returns is published.
 */
export function registrationLine(spec: HandlerSpec): string {
  if (spec.kind === "publish") return `service.publishEvery(${spec.subjectLiteral}, ${spec.intervalMs}, ${spec.functionName});`;
  if (spec.kind === "subscribe-all") return `service.subscribe(${spec.subjectLiteral}, ${spec.functionName}, { queue: false });`;
  return `service.${spec.kind}(${spec.subjectLiteral}, (message) => ${spec.functionName}(message, service));`;
}

/** The import of a handler in src/main.ts. */
export function importLine(spec: HandlerSpec): string {
  return `import { ${spec.functionName} } from "./handlers/${spec.slug}.js";`;
}

export const IMPORTS_MARKER = "// plop:imports";
export const HANDLERS_MARKER = "// plop:handlers";

/**
 * Inserts `line` above the marker comment, indented like it. Working on the text instead of a
 * regex replacement keeps `$` in a subject literal from being read as a replacement pattern.
 */
export function insertAboveMarker(source: string, marker: string, line: string): string {
  const lines = source.split("\n");
  const at = lines.findIndex((text) => text.trimStart().startsWith(marker));
  if (at < 0) throw new Error(`src/main.ts has no "${marker}" line: add it where new handlers should go`);
  const indent = /^\s*/.exec(lines[at]!)![0];
  lines.splice(at, 0, indent + line);
  return lines.join("\n");
}

/** src/main.ts with the handler's import and registration added above the markers. */
export function registerHandler(main: string, spec: HandlerSpec): string {
  return insertAboveMarker(insertAboveMarker(main, IMPORTS_MARKER, importLine(spec)), HANDLERS_MARKER, registrationLine(spec));
}
