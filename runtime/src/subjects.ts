/**
 * The rules for the subjects a service registers handlers on, in one place: the runtime applies them
 * when handlers register, the generator to `--subscribe`/`--reply`, and a generated project's
 * `npm run generate` to new handlers (it imports `telestion-runtime/subjects`).
 */

/** Subjects of the runtime itself (health, data logging): user wildcards never see them. */
export const RUNTIME_SUBJECT_PREFIX = "__telestion__";

export type SubjectKind = "subscribe" | "reply";

export interface Registration {
  subject: string;
  kind: SubjectKind;
}

/** A publisher's subject (service.publishEvery) follows the reply rule: one concrete subject. */
export type SubjectUse = SubjectKind | "publish";

const LABEL: Record<SubjectUse, string> = { subscribe: "subscription subject", reply: "reply subject", publish: "publish subject" };

export function isRuntimeSubject(subject: string): boolean {
  return subject.startsWith(RUNTIME_SUBJECT_PREFIX);
}

/** NATS micro discovery's subjects ($SRV.PING/INFO/STATS), which the runtime answers itself (micro.ts). */
export const MICRO_PREFIX = "$SRV";

export function isMicroSubject(subject: string): boolean {
  return subject === MICRO_PREFIX || subject.startsWith(`${MICRO_PREFIX}.`);
}

/** Subjects a user's wildcard never sees unless it asks (`system: true`): the runtime's and discovery's. */
export function isReservedSubject(subject: string): boolean {
  return isRuntimeSubject(subject) || isMicroSubject(subject);
}

export function isWildcard(subject: string): boolean {
  return subject.split(".").some((token) => token === "*" || token === ">");
}

/**
 * Whether some subject matches both `a` and `b`, wildcards included: `*` stands for one token, a final
 * `>` for one or more. Two handlers in one queue group on overlapping subjects would split the
 * messages they share, since NATS gives each message to one member of a group.
 */
export function subjectsOverlap(a: string, b: string): boolean {
  const left = a.split(".");
  const right = b.split(".");
  for (let i = 0; i < left.length && i < right.length; i++) {
    if (left[i] === ">" || right[i] === ">") return true;
    if (left[i] !== "*" && right[i] !== "*" && left[i] !== right[i]) return false;
  }
  return left.length === right.length;
}

/** Why two handlers of one service cannot both have their subjects, or undefined when they can. */
export function overlapProblem(first: Registration, second: Registration): string | undefined {
  if (!subjectsOverlap(first.subject, second.subject)) return undefined;
  const what = (r: Registration) => `${LABEL[r.kind]} "${r.subject}"`;
  if (first.subject === second.subject) {
    return first.kind === second.kind
      ? `${what(first)} is given twice; give each subject once`
      : `subject "${first.subject}" is both a subscription and a reply subject; give it to one handler`;
  }
  // Reply subjects are concrete, so the subscription is the one that can leave the queue group.
  const subscription = [first, second].find((r) => r.kind === "subscribe" && isWildcard(r.subject)) ?? first;
  return (
    `${what(first)} and ${what(second)} overlap, and NATS hands each message of a queue group to only one ` +
    `handler, so each would miss some of the messages meant for it; narrow the wildcard so that no subject ` +
    `matches both, or subscribe to "${subscription.subject}" with { queue: false } if every instance must see ` +
    `every message (e.g. to keep state)`
  );
}

/** The first overlap among `registrations`, or undefined. */
export function registrationsProblem(registrations: readonly Registration[]): string | undefined {
  for (let i = 0; i < registrations.length; i++) {
    for (let j = 0; j < i; j++) {
      const problem = overlapProblem(registrations[j]!, registrations[i]!);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** Line breaks, tabs and other C0 control characters, and DEL. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Why `subject` cannot be given a new handler (or publisher), or undefined. NATS subject syntax: dot-separated,
 * non-empty tokens without whitespace; subscriptions may use the wildcards `*` (one whole token) and
 * `>` (the whole last token); a reply subject must be concrete, because a request is sent to one exact
 * subject. `__telestion__` subjects belong to the runtime.
 */
export function subjectProblem(subject: string, kind: SubjectUse): string | undefined {
  const label = LABEL[kind];
  if (subject === "") return `${label} is empty; give a subject such as "sensors.temperature"`;
  if (/\s/.test(subject) || CONTROL.test(subject)) {
    return `${label} "${subject}" contains whitespace or control characters; NATS subjects cannot, so remove them (separate tokens with ".")`;
  }
  if (isRuntimeSubject(subject)) {
    return `${label} "${subject}" starts with "${RUNTIME_SUBJECT_PREFIX}", which belongs to the runtime (health, data logging); choose another subject`;
  }
  if (isMicroSubject(subject)) {
    return `${label} "${subject}" starts with "${MICRO_PREFIX}", which belongs to NATS micro discovery (the runtime answers it); choose another subject`;
  }
  const tokens = subject.split(".");
  if (tokens.includes("")) {
    return `${label} "${subject}" has an empty token (a leading, trailing or doubled "."); separate non-empty tokens with single dots, e.g. "sensors.temperature"`;
  }
  for (const [index, token] of tokens.entries()) {
    if (!token.includes("*") && !token.includes(">")) continue;
    if (kind !== "subscribe") {
      return `${label} "${subject}" contains a wildcard; wildcards (* and >) only work for subscriptions, so ${kind} on a concrete subject such as "${concreteExample(tokens)}"`;
    }
    if (token !== "*" && token !== ">") {
      return `${label} "${subject}" uses a wildcard inside the token "${token}"; "*" and ">" must be whole tokens, e.g. "sensors.*"`;
    }
    if (token === ">" && index !== tokens.length - 1) {
      return `${label} "${subject}" has ">" before the end; ">" may only be the last token, e.g. "sensors.>"`;
    }
  }
  return undefined;
}

/** A concrete version of a wildcard subject, to show in a message. */
function concreteExample(tokens: string[]): string {
  return tokens.map((token) => (token.includes("*") || token.includes(">") ? "example" : token)).join(".");
}
