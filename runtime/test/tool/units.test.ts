// The small pure pieces of the tool: showing bodies, health rows, subjects for the bodies, the report.
import { describe, expect, it } from "vitest";
import { showBody } from "../../src/tool/body.js";
import { concreteSubject } from "../../src/tool/check/bodies.js";
import type { CheckContext } from "../../src/tool/check/context.js";
import { formatEntry, isOk, summary } from "../../src/tool/check/report.js";
import { runRules } from "../../src/tool/check/run-rules.js";
import type { Rule } from "../../src/tool/check/rules.js";
import { instance } from "../../src/tool/commands/ls.js";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("showBody", () => {
  it("text as is, control characters and bidirectional overrides escaped", () => {
    expect(showBody(bytes('{"a":1}'))).toBe('{"a":1}');
    expect(showBody(bytes("a\nb\u202ec\x1b"))).toBe("a\\x0ab\\u202ec\\x1b");
    expect(showBody(bytes("a\nb\x1b"), true)).toBe("a\nb\\x1b");
  });

  it("binary as hex of the first 32 bytes, empty as [empty], long text cut", () => {
    expect(showBody(Uint8Array.from([0xc3, 0x28]))).toBe("[binary, 2 bytes] c3 28");
    expect(showBody(new Uint8Array(100).fill(0xff))).toBe(`[binary, 100 bytes] ${Array(32).fill("ff").join(" ")} …`);
    expect(showBody(new Uint8Array(0))).toBe("[empty]");
    expect(showBody(bytes("x".repeat(5_000)))).toBe(`${"x".repeat(2_000)}… (5000 characters)`);
  });
});

describe("ls: one health reply as a row", () => {
  it("the standard's reply", () => {
    expect(instance(bytes('{"errors":2,"service":"a-1","name":"a"}'), 3.4)).toEqual({ name: "a", id: "a-1", errors: 2, replyMs: 3 });
  });

  it("anything else says what is wrong with it", () => {
    expect(instance(Uint8Array.from([0xff]), 1)).toMatchObject({ name: "?", problem: "not JSON (1 bytes)" });
    expect(instance(bytes('{"service":"a-1"}'), 1)).toMatchObject({ id: "a-1", problem: "no name, errors in the reply" });
    expect(instance(bytes("[1]"), 1)).toMatchObject({ problem: "no name, service, errors in the reply" });
  });
});

describe("check", () => {
  it("fills wildcards with a token each", () => {
    expect(concreteSubject("a.*.c.>")).toBe("a.telestion-check.c.telestion-check");
    expect(concreteSubject("plain")).toBe("plain");
  });

  it("one line per entry, the standard with failures only; ok unless a required rule failed", () => {
    const fail = { id: "health", status: "FAIL" as const, required: true, measured: "no reply", standard: "answer" };
    const warn = { id: "health.dot", status: "WARN" as const, required: false, measured: "none", standard: "optional" };
    expect(formatEntry(fail)).toBe("FAIL health               no reply · standard: answer");
    expect(formatEntry(warn)).toBe("WARN health.dot           none");
    expect(isOk([warn])).toBe(true);
    expect(isOk([warn, { ...fail, required: false }])).toBe(true);
    expect(isOk([warn, fail])).toBe(false);
    expect(summary({ ok: false, command: [], durationMs: 1234, rules: [fail, warn] })).toBe(
      "required rule(s) failed: health (0 passed, 1 failed, 1 warning(s), in 1.2 s)",
    );
  });
});

describe("runRules", () => {
  const rule = (id: string, required: boolean, needsMainRun: boolean): Rule => ({
    id,
    required,
    needsMainRun,
    standard: id,
    run: async () => ({ status: "PASS", measured: "ran" }),
  });
  const gone = { main: { exit: { code: 3, signal: null, afterMs: 1500 } } } as unknown as CheckContext;

  it("a service gone without a failure that explains it: the next rule that needs it fails, later ones are not checked", async () => {
    const entries = await runRules([rule("a", true, false), rule("b", true, true), rule("c", true, true)], gone, () => {});
    expect(entries.map((e) => [e.id, e.status, e.measured])).toEqual([
      ["a", "PASS", "ran"],
      ["b", "FAIL", "the service ended before this rule: exit 3 after 1.5 s"],
      ["c", "WARN", "not checked: the service is no longer running"],
    ]);
  });

  it("parallel neighbours run together, reported in table order", async () => {
    const order: string[] = [];
    const slow = (id: string, ms: number): Rule => ({
      id,
      required: true,
      parallel: true,
      standard: id,
      run: () => new Promise((resolve) => setTimeout(() => (order.push(id), resolve({ status: "PASS", measured: id })), ms)),
    });
    const entries = await runRules([slow("first", 60), slow("second", 10)], gone, () => {});
    expect(order).toEqual(["second", "first"]);
    expect(entries.map((e) => e.id)).toEqual(["first", "second"]);
  });
});
