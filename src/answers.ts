import { detectPackageManager, type PackageManager } from "../generators/package-manager.js";
import { CancelledError, UserError } from "./errors.js";
import { KEYS, QUESTIONS, type Question, type Setting } from "./questions.js";
import { splitSubjects } from "./validate.js";

/**
 * The complete, validated answers that generation needs. Produced from flags (and prompts for
 * what flags leave open); how each is given, asked, defaulted and checked is its row in questions.ts.
 */
export interface Answers {
  /** Target directory as the user gave it (relative to cwd, or absolute). */
  directory: string;
  /** npm package name of the generated service; also its default SERVICE_NAME. */
  name: string;
  description: string;
  /** Subjects to subscribe to (queue group = SERVICE_NAME); wildcards allowed. */
  subscribe: string[];
  /** Subjects every instance subscribes to, without a queue group (state each instance keeps); wildcards allowed. */
  subscribeAll: string[];
  /** Subjects to answer requests on; no wildcards. */
  reply: string[];
  /** Publishers as `<subject>[@<interval>]` (`sensors.temperature@500ms`; 1s without one); no wildcards. */
  publish: string[];
  packageManager: PackageManager;
  /** The dependency spec written for telestion-runtime (a version range, or `file:<absolute path>`). */
  runtime: string;
  install: boolean;
  git: boolean;
}

/**
 * What the command line said, neither read nor checked yet: option text as given (lists split at
 * commas), switches as booleans; undefined means "not given".
 */
export type Flags = {
  [K in keyof Answers]?: Answers[K] extends boolean ? boolean : Answers[K] extends string[] ? string[] : string;
} & {
  /** Never ask: defaults for everything not given. */
  yes: boolean;
  /** `--project`: a multi-service project with this service as its first, in services/<name>/. */
  project?: boolean;
};

export interface Context {
  cwd: string;
  /** Questions can be asked: stdin is a terminal. */
  interactive: boolean;
  /** `npm_config_user_agent`, which tells the package manager that launched us. */
  userAgent: string | undefined;
  /** This package's version: the default runtime dependency is ^version. */
  version: string;
  /** Prints one line for the user (stderr). */
  warn: (line: string) => void;
}

/**
 * Flags → complete, validated Answers. Given flags are checked first; the rest is asked when there
 * is a terminal and no --yes, else taken from the defaults, saying so when nobody asked for that.
 * Throws UserError on invalid input and CancelledError when a prompt is cancelled.
 */
export async function resolveAnswers(flags: Flags, context: Context): Promise<Answers> {
  const { cwd } = context;
  const setting: Setting = { cwd, packageManager: detectPackageManager(context.userAgent), version: context.version };
  const given: Partial<Answers> = {};
  for (const key of KEYS) readFlag(key, flags, given, cwd);
  // Before any question: nobody should answer questions only to be told a flag was wrong.
  validateAnswers(given, cwd);

  const open = KEYS.filter((key) => given[key] === undefined && QUESTIONS[key].prompt);
  const interactive = open.length > 0 && !flags.yes && context.interactive;
  if (open.length > 0 && !flags.yes && !interactive) {
    context.warn(
      `stdin is not a terminal: using the defaults for ${open.join(", ")} (give them as options, or --yes to silence this)`,
    );
  }
  // Loaded only when there is someone to ask: `--yes` and scripted runs never pay for prompts.
  const prompt = interactive ? await import("./prompt.js") : undefined;
  const answers: Partial<Answers> = { ...given };
  for (const key of KEYS) {
    if (given[key] === undefined) await fill(key, answers, setting, prompt);
  }
  validateAnswers(answers, cwd);
  return answers as Answers;
}

/** One flag, if given, read into `into` (text read by its question: a --runtime path becomes absolute). */
function readFlag<K extends keyof Answers>(key: K, flags: Flags, into: Partial<Answers>, cwd: string): void {
  const value = flags[key];
  if (value === undefined) return;
  const { read } = QUESTIONS[key] as Question<Answers[K]>;
  into[key] = (typeof value === "string" && read ? read(value, cwd) : value) as Answers[K];
}

/** An open answer: asked, when there is a prompt and a question for it, else its default. */
async function fill<K extends keyof Answers>(
  key: K,
  answers: Partial<Answers>,
  setting: Setting,
  prompt: typeof import("./prompt.js") | undefined,
): Promise<void> {
  const question = QUESTIONS[key] as Question<Answers[K]>;
  const initial = question.initial(answers, setting);
  if (!prompt || !question.prompt) {
    answers[key] = initial;
    return;
  }
  const message = question.prompt(answers);
  const check = (value: Answers[K]) => question.problem(value, answers, setting.cwd);
  let answer: unknown;
  if (question.kind === "switch") {
    answer = await prompt.askYesNo(message, initial as boolean);
  } else if (question.kind === "list") {
    const read = (text: string) => splitSubjects(text) as Answers[K];
    const text = await prompt.askText(message, (initial as string[]).join(", "), (typed) => check(read(typed)));
    answer = text === undefined ? undefined : read(text);
  } else {
    const read = (text: string) => (question.read ? question.read(text, setting.cwd) : (text as Answers[K]));
    const text = await prompt.askText(message, initial as string, (typed) => check(read(typed)));
    answer = text === undefined ? undefined : read(text);
  }
  if (answer === undefined) throw new CancelledError();
  answers[key] = answer as Answers[K];
}

/**
 * Checks the answers given so far (all of them, once complete), however they were gathered, in the
 * table's order, and throws a UserError naming the first problem.
 */
export function validateAnswers(answers: Partial<Answers>, cwd: string): void {
  for (const key of KEYS) {
    const value = answers[key];
    const problem = value === undefined ? undefined : (QUESTIONS[key] as Question<typeof value>).problem(value, answers, cwd);
    if (problem) throw new UserError(problem);
  }
}
