/**
 * Runs the rule table in order; neighbouring `parallel` rules (the configuration runs, each with a
 * process of its own) start together, which makes the check several seconds shorter.
 */
import { UsageError } from "../usage-error.js";
import { messageLine } from "../../one-line.js";
import type { CheckContext } from "./context.js";
import type { Entry } from "./report.js";
import type { Outcome, Rule } from "./rules.js";
import { describeExit } from "./service-process.js";

export async function runRules(rules: Rule[], ctx: CheckContext, onEntry: (entry: Entry) => void): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (let i = 0; i < rules.length; ) {
    let end = i + 1;
    if (rules[i]!.parallel) while (end < rules.length && rules[end]!.parallel) end++;
    const batch = rules.slice(i, end);
    const failed = entries.some((entry) => entry.status === "FAIL" && entry.required);
    const results = await Promise.all(batch.map((rule) => runRule(rule, ctx, failed)));
    batch.forEach((rule, index) => {
      for (const outcome of results[index]!) {
        const entry = toEntry(rule, outcome);
        entries.push(entry);
        onEntry(entry);
      }
    });
    i = end;
  }
  return entries;
}

/** `failed`: whether a required rule failed already, which then explains a service that is gone. */
async function runRule(rule: Rule, ctx: CheckContext, failed: boolean): Promise<Outcome[]> {
  if (rule.needsMainRun && (!ctx.main || ctx.main.exit)) {
    const exit = ctx.main?.exit;
    // Gone without a failure that says why (it ended on its own between two rules): this rule fails.
    if (exit && !failed) return [{ status: "FAIL", measured: `the service ended before this rule: ${describeExit(exit)}` }];
    return [{ status: "WARN", measured: `not checked: ${exit ? "the service is no longer running" : "the service did not start"}` }];
  }
  try {
    const result = await rule.run(ctx);
    return Array.isArray(result) ? result : [result];
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const syscall = (err as NodeJS.ErrnoException).syscall ?? "";
    if (syscall.startsWith("spawn")) {
      throw new UsageError(`cannot start "${ctx.command[0]}" (${code}): check the command after -- (is it installed and on PATH?)`);
    }
    if (err instanceof UsageError) throw err;
    return [{ status: "FAIL", measured: `could not be checked: ${messageLine(err)}` }];
  }
}

function toEntry(rule: Rule, outcome: Outcome): Entry {
  const required = outcome.required ?? rule.required;
  return { id: outcome.id ?? rule.id, status: outcome.status, required, measured: outcome.measured, standard: rule.standard };
}
