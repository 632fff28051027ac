/** The subject a bus command works on, checked before anything is sent (the runtime's subject rule). */
import { isRuntimeSubject, subjectProblem } from "../index.js";
import { printable } from "../one-line.js";
import { UsageError } from "./usage-error.js";

/**
 * `positionals[0]` as a subject, with at most `max` positionals in all. Wildcards only where the
 * command subscribes. `__telestion__…` subjects (health, log) are the runtime's: a service may not
 * register them, but the tool may ask or watch them, so for those only the syntax is checked.
 */
export function subjectArg(positionals: string[], usage: string, max: number, wildcards: boolean): string {
  const subject = positionals[0];
  if (subject === undefined) throw new UsageError(`a subject is missing: telestion ${usage}`);
  const problem = isRuntimeSubject(subject)
    ? runtimeSubjectProblem(subject)
    : subjectProblem(subject, wildcards ? "subscribe" : "reply");
  if (problem) throw new UsageError(printable(problem.replace(/^reply subject/, "subject")));
  const extra = positionals[max];
  if (extra !== undefined) throw new UsageError(`unexpected "${printable(extra, 40)}": quote the body as one word (telestion ${usage})`);
  return subject;
}

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\s\u0000-\u001f\u007f]/;

function runtimeSubjectProblem(subject: string): string | undefined {
  if (UNSAFE.test(subject)) return `subject "${subject}" contains whitespace or control characters; NATS subjects cannot, so remove them`;
  return undefined;
}
