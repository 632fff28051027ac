/**
 * Data logging subjects (seed: "Standard Operations Library"), and the rules for a category: one place
 * says which subject a category is published on and what the log sink subscribes to.
 */
export const LOG_SUBJECT_PREFIX = "__telestion__/log/";
/** The dot form, for clients that use NATS's token separator, and for every category with a dot. */
export const LOG_SUBJECT_PREFIX_DOTTED = "__telestion__.log.";

/**
 * What the log sink subscribes to. NATS wildcards stand for whole dot-separated tokens, and the seed's
 * `__telestion__/log/<category>` is ONE token when the category has no dot, so `*` (every one-token
 * subject) is the narrowest subscription that receives it; `__telestion__.log.>` receives the dot form,
 * dots in the category included. `>` would receive both, but a subscriber on `>` answers for every
 * subject: a request nobody serves would wait for its timeout instead of failing with "no responders".
 * The price of `*`: such a request to a one-token subject (`ping`, not `sensors.ping`) still waits.
 */
export const LOG_SINK_SUBJECTS = ["*", `${LOG_SUBJECT_PREFIX_DOTTED}>`] as const;

/** A file name holds 255 bytes; the sink adds ".log". */
const MAX_CATEGORY_BYTES = 251;

export class LogCategoryError extends Error {
  override name = "LogCategoryError";
}

/**
 * Why a category is unusable, or undefined when it is fine. A category becomes both subject tokens and
 * a file name under DATA_DIR/logs, so it must not escape that folder or break the subject.
 */
export function categoryProblem(category: string): string | undefined {
  if (category === "") return "is empty";
  if (/[/\\]/.test(category)) return "contains a path separator";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(category)) return "contains a control character";
  if (/\s/.test(category)) return "contains whitespace";
  if (/[*>]/.test(category)) return "contains a NATS wildcard (* or >)";
  if (/^\.|\.$|\.\./.test(category)) return "starts or ends with a dot, or has two dots in a row";
  if (Buffer.byteLength(category) > MAX_CATEGORY_BYTES) return `is longer than ${MAX_CATEGORY_BYTES} bytes`;
  return undefined;
}

/**
 * The subject to publish data for `category` to: the seed's `__telestion__/log/<category>`, or for a
 * category with a dot `__telestion__.log.<category>` (in the seed's form the dot would split the subject
 * into tokens that only `>` receives; see LOG_SINK_SUBJECTS). Throws LogCategoryError for a bad category.
 */
export function logSubject(category: string): string {
  const problem = categoryProblem(category);
  if (problem) {
    throw new LogCategoryError(
      `log category ${JSON.stringify(category)} ${problem}: use letters, digits, "-", "_" and single inner dots`,
    );
  }
  return (category.includes(".") ? LOG_SUBJECT_PREFIX_DOTTED : LOG_SUBJECT_PREFIX) + category;
}

/** The category a log subject names (either form), or undefined for any other subject. */
export function categoryOf(subject: string): string | undefined {
  if (subject.startsWith(LOG_SUBJECT_PREFIX)) return subject.slice(LOG_SUBJECT_PREFIX.length);
  if (subject.startsWith(LOG_SUBJECT_PREFIX_DOTTED)) return subject.slice(LOG_SUBJECT_PREFIX_DOTTED.length);
  return undefined;
}
