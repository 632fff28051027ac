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
 */
export type HandlerKind = "subscribe" | "subscribe-all" | "reply";

const PREFIX: Record<HandlerKind, string> = { subscribe: "on", "subscribe-all": "on", reply: "answer" };

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
export function registrationOf(kind: HandlerKind, subject: string): QueuedRegistration {
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

/** The spec for one handler: the first of `slug`, `slug-2`, `slug-3`, … whose key is not `taken`. */
export function handlerSpec(kind: HandlerKind, subject: string, taken: ReadonlySet<string>): HandlerSpec {
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
  };
}

/** The subjects a project is generated with, per kind of handler. */
export interface HandlerSubjects {
  subscribe: readonly string[];
  subscribeAll: readonly string[];
  reply: readonly string[];
}

/** Specs for every subscription, then every subscribe-all subject, then every reply subject, each name unique among all of them. */
export function handlerSpecs({ subscribe, subscribeAll, reply }: HandlerSubjects): HandlerSpec[] {
  const taken = new Set<string>();
  const wanted = [
    ...subscribe.map((subject) => ["subscribe", subject] as const),
    ...subscribeAll.map((subject) => ["subscribe-all", subject] as const),
    ...reply.map((subject) => ["reply", subject] as const),
  ];
  return wanted.map(([kind, subject]) => {
    const spec = handlerSpec(kind, subject, taken);
    taken.add(nameKey(spec.slug));
    return spec;
  });
}

/**
 * The statement that registers a handler in src/main.ts. A subscribe-all handler keeps state of its
 * own and needs no service; `{ queue: false }` gives every instance every message.
 */
export function registrationLine(spec: HandlerSpec): string {
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
