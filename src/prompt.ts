import prompts, { type PromptObject } from "prompts";
import type { Answers } from "./answers.js";
import { DEFAULTS, defaultName } from "./defaults.js";
import { CancelledError } from "./errors.js";
import {
  descriptionProblem,
  directoryProblem,
  nameProblem,
  splitSubjects,
  subjectsProblem,
} from "./validate.js";

/** The answers that prompts can give; package manager and runtime come from flags only. */
export type AskedAnswers = Pick<Answers, "directory" | "name" | "description" | "subscribe" | "reply" | "install" | "git">;

/**
 * Asks, one question at a time, for every answer that `known` leaves open, with the defaults
 * pre-filled and the shared validation shown under the question. Only call it with a terminal on
 * stdin: without one, `prompts` never settles. Throws CancelledError on Ctrl-C or Esc.
 */
export async function ask(known: Partial<Answers>, cwd: string, packageManager: string): Promise<AskedAnswers> {
  const directory =
    known.directory ??
    (await text("Directory for the new service", DEFAULTS.directory, (value) => directoryProblem(value, cwd)));
  const name =
    known.name ?? (await text("Service name (npm package name and SERVICE_NAME)", defaultName(directory, cwd), nameProblem));
  const description = known.description ?? (await text("Description", DEFAULTS.description, descriptionProblem));
  const subscribe =
    known.subscribe ??
    splitSubjects(
      await text("Subjects to subscribe to (* and > allowed; empty: none)", DEFAULTS.subscribe.join(", "), (value) =>
        subjectsProblem(splitSubjects(value), []),
      ),
    );
  const reply =
    known.reply ??
    splitSubjects(
      await text("Subjects to answer requests on (empty: none)", DEFAULTS.reply.join(", "), (value) =>
        subjectsProblem(subscribe, splitSubjects(value)),
      ),
    );
  const install = known.install ?? (await confirm(`Install dependencies with ${packageManager} now?`, DEFAULTS.install));
  const git = known.git ?? (await confirm("Initialise a git repository with a first commit?", DEFAULTS.git));
  return { directory, name, description, subscribe, reply, install, git };
}

/** A trimmed line of text, validated by a check from validate.ts. */
async function text(message: string, initial: string, problem: (value: string) => string | undefined): Promise<string> {
  const value = await one({
    type: "text",
    message,
    initial,
    format: (value: unknown) => String(value ?? "").trim(),
    validate: (value: string) => {
      const found = problem(value.trim());
      return found === undefined ? true : wrap(found, PROBLEM_WIDTH);
    },
  });
  return String(value ?? "");
}

/**
 * prompts shows a problem under the question, each line after a two-character marker, and redraws
 * the screen wrongly when a line wraps: so problems are wrapped to fit an 80-column terminal.
 */
const PROBLEM_WIDTH = 76;

/** `text` broken at spaces into lines of at most `width` characters (a longer word gets a line of its own, cut). */
export function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    for (let rest = word; ; ) {
      const candidate = line === "" ? rest : `${line} ${rest}`;
      if (candidate.length <= width) {
        line = candidate;
        break;
      }
      if (line !== "") {
        lines.push(line);
        line = "";
        continue;
      }
      lines.push(rest.slice(0, width));
      rest = rest.slice(width);
      if (rest === "") break;
    }
  }
  if (line !== "") lines.push(line);
  return lines.join("\n");
}

async function confirm(message: string, initial: boolean): Promise<boolean> {
  return Boolean(await one({ type: "confirm", message, initial }));
}

/** One prompt; cancelling it aborts the whole run before anything is written. */
async function one(question: Omit<PromptObject, "name">): Promise<unknown> {
  const answers = await prompts(
    { ...question, name: "value" },
    {
      onCancel: () => {
        throw new CancelledError();
      },
    },
  );
  return answers.value;
}
