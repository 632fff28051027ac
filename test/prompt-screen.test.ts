import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { shellQuote } from "../generators/shell-quote.js";
import { wrap } from "../src/prompt.js";
import { directoryProblem, subjectsProblem } from "../src/validate.js";
import { builtCli } from "../test-support/built-cli.js";

/*
 * The built CLI's questions in a real terminal: tmux, whose screen (and what scrolled off it) is
 * read whole after each step: what a person sees, not what the CLI wrote. Invalid answers and
 * their correction, Ctrl-U, Ctrl-W, Ctrl-A/E and an erased default, at 80×24 from the top of the
 * screen, at 80×24 with a full screen (every line written scrolls it), and at 40×24.
 */

const tmuxMissing = (() => {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "tmux is not installed (apt-get install tmux)";
  }
})();
if (tmuxMissing) process.stderr.write(`prompt screen test skipped: ${tmuxMissing}\n`);

let cli: string;
beforeAll(() => {
  if (!tmuxMissing) cli = builtCli();
}, 120_000);

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), "cts-screen-"));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

let sessions = 0;

/** One tmux server of its own (no user configuration, no status line) running the CLI in `cwd`. */
class Screen {
  private readonly socket = `cts-screen-${process.pid}-${++sessions}`;
  readonly exitFile = join(cwd, "exit-code");

  /** `filler` lines are printed first, so that a full screen scrolls with every line the CLI writes. */
  constructor(columns: number, filler: number) {
    const command = [
      `seq ${filler};`,
      ...[process.execPath, cli, "--no-install", "--no-git"].map(shellQuote),
      `; echo $? > ${shellQuote(this.exitFile)}; exec sleep 600`,
    ].join(" ");
    // Not inside a tmux the tests may run in; npm as the package manager.
    const env: NodeJS.ProcessEnv = { ...process.env, TMUX: undefined, npm_config_user_agent: "" };
    // A detached session has the size asked for; without the status line, all 24 rows are the pane's.
    this.tmux(["new-session", "-d", "-s", "cli", "-x", String(columns), "-y", "24", "-c", cwd, command, ";", "set-option", "-g", "status", "off"], env);
  }

  private tmux(args: string[], env?: NodeJS.ProcessEnv): string {
    return execFileSync("tmux", ["-L", this.socket, "-f", "/dev/null", ...args], { encoding: "utf8", env });
  }

  /** Keys as tmux names them (Enter, BSpace, C-u) or, with `literal`, text to type. */
  keys(keys: string | string[], literal = false): void {
    this.tmux(["send-keys", "-t", "cli", ...(literal ? ["-l"] : []), ...[keys].flat()]);
  }

  /**
   * Everything the terminal holds, scrolled off and on screen, as lines (a row the terminal wrapped
   * joined to the next), without trailing blanks; `filler` lines, the numbers before the CLI, dropped.
   */
  lines(filler: number): string[] {
    const lines = this.tmux(["capture-pane", "-p", "-J", "-S", "-", "-t", "cli"]).split("\n").map((line) => line.trimEnd());
    while (lines.length > 0 && lines.at(-1) === "") lines.pop();
    const numbers = lines.slice(0, filler).every((line, index) => line === String(index + 1));
    return numbers ? lines.slice(filler) : lines;
  }

  /** The on-screen row the cursor is on, and its column. */
  cursor(): { row: string; column: number } {
    const [x = "", y = ""] = this.tmux(["display-message", "-p", "-t", "cli", "#{cursor_x} #{cursor_y}"]).trim().split(" ");
    const rows = this.tmux(["capture-pane", "-p", "-t", "cli"]).split("\n");
    return { row: rows[Number(y)] ?? "", column: Number(x) };
  }

  kill(): void {
    try {
      this.tmux(["kill-server"]);
    } catch {
      // already gone
    }
  }
}

/** Waits until `read()` equals `expected` (the screen settles), then asserts it, showing the difference. */
async function settles<T>(read: () => T, expected: T, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && JSON.stringify(read()) !== JSON.stringify(expected)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(read()).toEqual(expected);
}

/** A problem as shown under its question: wrapped to the terminal's width less three, "›" before the first row. */
function problemRows(problem: string | undefined, columns: number): string[] {
  expect(problem).toBeDefined();
  return wrap(problem ?? "", columns - 3)
    .split("\n")
    .map((row, index) => `${index === 0 ? "›" : " "} ${row}`);
}

const DIRECTORY = "? Directory for the new service ›";
const DONE = [
  "✔ Directory for the new service … my-svc",
  "✔ Service name (npm package name and SERVICE_NAME) … my-svc",
  "✔ Description … Watches the sensors.",
  "✔ Subjects to subscribe to (* and > allowed; empty: none) … sensors.temp",
  "✔ Subjects to answer requests on (empty: none) …",
];
const SUBSCRIBE = "? Subjects to subscribe to (* and > allowed; empty: none) ›";
const REPLY = "? Subjects to answer requests on (empty: none) ›";

describe.skipIf(tmuxMissing)(`questions on a terminal${tmuxMissing ? ` (skipped: ${tmuxMissing})` : ""}`, () => {
  it.each([
    ["80×24, from the top", 80, 0],
    ["80×24, the screen full", 80, 40],
    ["40×24, the screen full", 40, 40],
  ])("%s: every answer shown once, problems in place and gone once fixed, editing keys work", async (_name, columns, filler) => {
    const screen = new Screen(columns, filler);
    const lines = () => screen.lines(filler);
    try {
      // An erased default is an empty answer: for the directory, a problem.
      await settles(lines, [`${DIRECTORY} telestion-service`]);
      screen.keys("BSpace");
      await settles(lines, [DIRECTORY]);
      screen.keys("Enter");
      await settles(lines, [DIRECTORY, ...problemRows(directoryProblem("", cwd), columns)]);
      screen.keys("my-svc", true);
      screen.keys("Enter");
      await settles(lines, [DONE[0], "? Service name (npm package name and SERVICE_NAME) › my-svc"]);
      screen.keys("Enter");

      // Ctrl-U clears what was typed (no invisible \x15 left), Ctrl-W takes the last word, Ctrl-A goes home.
      await settles(lines, [...DONE.slice(0, 2), "? Description › A Telestion service that communicates over NATS."]);
      screen.keys("Nonsense", true);
      screen.keys("C-u");
      screen.keys("the rockets", true);
      screen.keys("C-w");
      screen.keys("sensors.", true);
      screen.keys("C-a");
      await settles(screen.cursor.bind(screen), { row: "? Description › the sensors.", column: "? Description › ".length });
      screen.keys("Watches ", true);
      screen.keys("C-e");
      await settles(lines, [...DONE.slice(0, 2), "? Description › Watches the sensors."]);
      screen.keys("Enter");

      // A problem of two rows or more (at 80 columns already), shown under the question, the cursor left at the answer.
      await settles(lines, [...DONE.slice(0, 3), `${SUBSCRIBE} sensors.>`]);
      screen.keys("sensors.>.x", true);
      screen.keys("Enter");
      const subscribeProblem = problemRows(subjectsProblem(["sensors.>.x"], []), columns);
      expect(subscribeProblem.length).toBeGreaterThan(1);
      await settles(lines, [...DONE.slice(0, 3), `${SUBSCRIBE} sensors.>.x`, ...subscribeProblem]);
      const cursor = screen.cursor();
      expect(cursor.row.slice(0, cursor.column)).toMatch(/ sensors\.>\.x$/);
      expect(cursor.row.trimEnd()).toHaveLength(cursor.column);
      screen.keys(Array<string>(11).fill("BSpace"));
      screen.keys("sensors.temp", true);
      screen.keys("Enter");
      await settles(lines, [...DONE.slice(0, 4), `${REPLY} commands.run`]);

      // A second problem; Ctrl-U on the typed text brings the default back, Ctrl-U on the default erases it: none.
      screen.keys("time.*", true);
      screen.keys("Enter");
      const replyProblem = problemRows(subjectsProblem(["sensors.temp"], ["time.*"]), columns);
      await settles(lines, [...DONE.slice(0, 4), `${REPLY} time.*`, ...replyProblem]);
      screen.keys("C-u");
      await settles(lines, [...DONE.slice(0, 4), `${REPLY} commands.run`, ...replyProblem]);
      screen.keys("C-u");
      await settles(lines, [...DONE.slice(0, 4), REPLY, ...replyProblem]);
      screen.keys("Enter");

      const deadline = Date.now() + 20_000;
      while (!existsSync(screen.exitFile) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(readFileSync(screen.exitFile, "utf8").trim()).toBe("0");
      const shown = lines();
      // Each answer once, then the generator's own output right after: nothing left over, nothing glued on.
      expect(shown.slice(0, 6)).toEqual([...DONE, ""]);
      expect(shown[6]).toMatch(/^Created my-svc in \S+ \(\d+ files\)\.$/);
      const rest = shown.slice(7);
      expect(rest.filter((line) => /^[?›✔ ] /.test(line) && !line.startsWith("  "))).toEqual([]);
      for (const stale of ["Nonsense", "rockets", "sensors.>", "time.*", "commands.run", "directory is empty"]) {
        expect(rest.join("\n")).not.toContain(stale);
      }
    } finally {
      screen.kill();
    }

    const project = join(cwd, "my-svc");
    expect(JSON.parse(readFileSync(join(project, "package.json"), "utf8"))).toMatchObject({ name: "my-svc", description: "Watches the sensors." });
    const sources = readdirSync(join(project, "src"), { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts"))
      .map((file) => readFileSync(join(project, "src", file), "utf8"))
      .join("\n");
    expect(sources).toContain("sensors.temp");
    expect(sources).not.toContain("commands.run");
  }, 90_000);
});
