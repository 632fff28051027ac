import prompts, { type PromptObject } from "prompts";

/*
 * Asking, one question at a time, with the default pre-filled. Which questions, their defaults and
 * checks are the table in questions.ts; this module is loaded only when there is a terminal to ask
 * on (without one, `prompts` never settles). Each ask resolves to undefined when the user cancels
 * (Ctrl-C, Esc): the caller then stops the run before anything is written.
 */

/** A trimmed line of text; `problem` (a check from validate.ts) is shown under the question until it passes. */
export async function askText(message: string, initial: string, problem: (value: string) => string | undefined): Promise<string | undefined> {
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
  return value === undefined ? undefined : String(value);
}

/** Yes or no. */
export async function askYesNo(message: string, initial: boolean): Promise<boolean | undefined> {
  const value = await one({ type: "confirm", message, initial });
  return value === undefined ? undefined : Boolean(value);
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

/** One prompt: its answer, or undefined when it was cancelled. */
async function one(question: Omit<PromptObject, "name">): Promise<unknown> {
  let cancelled = false;
  const answers = await prompts(
    { ...question, name: "value" },
    {
      onCancel: () => {
        cancelled = true;
      },
    },
  );
  return cancelled ? undefined : answers.value;
}
