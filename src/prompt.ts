import { stripVTControlCharacters } from "node:util";
import prompts, { type PromptObject, type PromptType } from "prompts";
// @ts-expect-error -- prompts ships no types for its prompt classes; the part of TextPrompt used here is declared below.
import TextPromptClass from "prompts/lib/elements/text.js";

/*
 * Asking, one question at a time, with the default shown until something is typed. Which questions,
 * their defaults and checks are the table in questions.ts; this module is loaded only when there is a
 * terminal to ask on (without one, `prompts` never settles). Each ask resolves to undefined when the
 * user cancels (Ctrl-C, Esc): the caller then stops the run before anything is written.
 */

/**
 * A trimmed line of text; `problem` (a check from validate.ts) is shown under the question until it
 * passes. The default can be erased (Backspace, Ctrl-U): Enter then answers "" (for a list: none).
 */
export async function askText(message: string, initial: string, problem: (value: string) => string | undefined): Promise<string | undefined> {
  const value = await one({
    // LinePrompt, registered below: prompts' own text prompt would garble the screen and take control characters as typing.
    type: "line" as PromptType,
    message,
    initial,
    format: (value: unknown) => String(value ?? "").trim(),
    validate: (value: string) => problem(value.trim()) ?? true,
  });
  return value === undefined ? undefined : String(value);
}

/** Yes or no. */
export async function askYesNo(message: string, initial: boolean): Promise<boolean | undefined> {
  const value = await one({ type: "confirm", message, initial });
  return value === undefined ? undefined : Boolean(value);
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

/** A key as Node's readline reports it. */
interface Key {
  name?: string;
  ctrl?: boolean;
}

/** What LinePrompt uses of prompts' TextPrompt (node_modules/prompts/lib/elements/text.js, prompts 2.4). */
interface TextPrompt {
  out: NodeJS.WriteStream;
  /** The default: shown grey (`placeholder`) while `value` is empty, and answered by Enter then. */
  initial: string;
  value: string;
  placeholder: boolean;
  /** The cursor as an index into `value`, and as a distance (≤ 0) from the end of the drawn line. */
  cursor: number;
  cursorOffset: number;
  red: boolean;
  /** The last answer was refused, for the reason in `errorMsg`. */
  error: boolean;
  errorMsg: string;
  firstRender: boolean;
  closed?: boolean;
  /** The question's line as last drawn, colours included. */
  outputText: string;
  render(): void;
  bell(): void;
  delete(): void;
  first(): void;
  last(): void;
  _(typed: string | undefined, key: Key): void;
  on(event: "submit" | "abort", listener: (value: string) => void): this;
}

const TextPrompt = TextPromptClass as new (question: PromptObject) => TextPrompt;

// eslint-disable-next-line no-control-regex -- what is looked for is control characters
const CONTROL = /[\u0000-\u001f\u007f]/;
const ESC = "\u001b";

/**
 * prompts' text prompt with three faults fixed:
 * - it erases a problem spanning several rows one row too high (leaving its last row behind and
 *   eating the line above), and where showing the problem scrolled the screen it returns to the
 *   wrong row: the problem is drawn here instead, wrapped to the terminal's width, and left by
 *   relative moves, which scrolling cannot invalidate;
 * - the default cannot be erased: Backspace, Ctrl-U or Ctrl-W on it erase it here;
 * - control characters (Ctrl-U, Ctrl-W, ...) are inserted as invisible text: here Ctrl-U and
 *   Ctrl-W edit as in a shell, Ctrl-A/E and Home/End move, and the others are refused with a bell.
 */
class LinePrompt extends TextPrompt {
  override render(): void {
    if (this.closed) return;
    // The cursor is on the question's (last) row: everything below it is the problem drawn last time.
    if (!this.firstRender) this.out.write(`${ESC}[J`);
    const error = this.error;
    this.error = false; // so that prompts draws the question alone, and never erases a problem itself
    super.render();
    this.error = error;
    if (error && !this.closed) this.drawProblem();
  }

  /** The problem under the question, "›" before its first row, then back to where the cursor was. */
  private drawProblem(): void {
    const columns = this.out.columns || 80;
    // One column spare: a row filling the last column leaves the cursor in it, waiting to wrap.
    // (Below 23 columns rows wrap on the screen; the minimum only keeps wrap() finite.)
    const rows = wrap(this.errorMsg, Math.max(20, columns - 3)).split("\n");
    const coloured = this.outputText.includes(ESC); // prompts' colours are on (no NO_COLOR, a terminal)
    const shown = rows.map((row, index) => `${index === 0 ? "›" : " "} ${coloured ? `${ESC}[31m${row}${ESC}[39m` : row}`);
    // The column the question's last row ends in (the cursor stays in the last one rather than wrap).
    const width = [...stripVTControlCharacters(this.outputText)].length;
    const end = width === 0 ? 0 : Math.min(((width - 1) % columns) + 1, columns - 1);
    const column = Math.max(0, end + this.cursorOffset);
    this.out.write(`\n${shown.join("\n")}${ESC}[${rows.length}A${ESC}[${column + 1}G`);
  }

  override delete(): void {
    if (this.placeholder) return this.eraseDefault();
    super.delete();
  }

  override _(typed: string | undefined, key: Key): void {
    if (key.ctrl && key.name === "u") return this.cut(() => "");
    if (key.ctrl && key.name === "w") return this.cut((before) => before.replace(/\S*\s*$/, ""));
    if (typed === undefined || key.ctrl || CONTROL.test(typed)) return this.bell();
    super._(typed, key);
  }

  // prompts moves its cursor index on Ctrl-A/E but not the cursor on the screen.
  override first(): void {
    this.cursor = 0;
    this.cursorOffset = -this.value.length;
    this.render();
  }

  override last(): void {
    this.cursor = this.value.length;
    this.cursorOffset = 0;
    this.render();
  }

  home(): void {
    this.first();
  }

  end(): void {
    this.last();
  }

  /** Replaces the text before the cursor with `edit(it)`; on the default, erases that. */
  private cut(edit: (before: string) => string): void {
    if (this.placeholder) return this.eraseDefault();
    const before = edit(this.value.slice(0, this.cursor));
    const after = this.value.slice(this.cursor);
    this.value = before + after; // the default shows again when nothing is left, as after Backspace
    this.cursor = before.length;
    this.cursorOffset = -after.length;
    this.red = false;
    this.render();
  }

  /** No default any more: the line is empty, and Enter answers "". */
  private eraseDefault(): void {
    this.initial = "";
    this.value = "";
    this.cursor = 0;
    this.cursorOffset = 0;
    this.red = false;
    this.render();
  }
}

/** LinePrompt as a prompts type: asked through prompts() like the others, so prompts.inject answers it in tests. */
Object.assign(prompts.prompts, {
  line: (question: PromptObject) =>
    new Promise<string>((resolve, reject) => {
      new LinePrompt(question).on("submit", resolve).on("abort", reject);
    }),
});

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
