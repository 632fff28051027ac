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
      await text("Subjects to subscribe to (comma-separated, * and > allowed, empty for none)", "", (value) =>
        subjectsProblem(splitSubjects(value), []),
      ),
    );
  const reply =
    known.reply ??
    splitSubjects(
      await text("Subjects to answer requests on (comma-separated, empty for none)", "", (value) =>
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
    validate: (value: string) => problem(value.trim()) ?? true,
  });
  return String(value ?? "");
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
