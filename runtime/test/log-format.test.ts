import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { categoryOf, categoryProblem, logSubject, LogCategoryError } from "../src/log.js";
import { BINARY_MARKER, formatLogLine, parseLogLine } from "../src/log-file-format.js";

const AT = new Date("2026-11-29T06:00:00.000Z");
const bytes = (text: string) => new TextEncoder().encode(text);

describe("log line format", () => {
  it("writes single-line text as text after an ISO timestamp", () => {
    expect(formatLogLine(bytes('{"t":21.5}'), AT)).toBe('2026-11-29T06:00:00.000Z {"t":21.5}\n');
  });

  it("writes binary, multi-line and marker-like bodies in the marked encoding", () => {
    for (const body of [new Uint8Array([0, 1, 255]), bytes("two\nlines"), bytes("cr\rhere"), bytes(`${BINARY_MARKER}abc`), bytes("\u2028")]) {
      const line = formatLogLine(body, AT);
      expect(line.split("\n")).toHaveLength(2);
      expect(line).toContain(` ${BINARY_MARKER}`);
    }
  });

  it("round-trips any body exactly", () => {
    const bodies = [new Uint8Array(0), bytes("plain"), bytes("tab\tok"), bytes("\uFEFFbom"), new Uint8Array([0xef, 0xbb, 0xbf, 0x41])];
    for (let i = 0; i < 200; i++) bodies.push(new Uint8Array(randomBytes(i % 64)));
    for (const body of bodies) {
      const line = formatLogLine(body, AT);
      const parsed = parseLogLine(line.slice(0, -1));
      expect(parsed.at.toISOString()).toBe(AT.toISOString());
      expect(Buffer.from(parsed.body).equals(Buffer.from(body))).toBe(true);
    }
  });
});

describe("log categories", () => {
  it("accepts ordinary names", () => {
    for (const name of ["telemetry", "sensor-1", "a_b", "v1.2", "Ünïcode"]) expect(categoryProblem(name)).toBeUndefined();
  });

  it("refuses names that would escape logs/ or break the subject", () => {
    const bad: Record<string, RegExp> = {
      "": /empty/,
      ".": /dot/,
      "..": /dot/,
      "../etc": /separator/,
      "a/b": /separator/,
      "a\\b": /separator/,
      "nul\u0000": /control/,
      "tab\there": /control/,
      "new\nline": /control/,
      "sp ace": /whitespace/,
      "wild*": /wildcard/,
      "a..b": /dot/,
      ".hidden": /dot/,
      ["x".repeat(252)]: /longer/,
    };
    for (const [name, problem] of Object.entries(bad)) expect(categoryProblem(name)).toMatch(problem);
  });

  it("logSubject names the bad category in a one-line error", () => {
    expect(logSubject("telemetry")).toBe("__telestion__/log/telemetry");
    // With a dot, the seed's form would be two tokens the sink does not receive: the dot form instead.
    expect(logSubject("sensors.v2")).toBe("__telestion__.log.sensors.v2");
    expect(() => logSubject("../x")).toThrow(LogCategoryError);
    expect(() => logSubject("../x")).toThrow('log category "../x" contains a path separator');
  });

  it("finds the category in both subject forms", () => {
    expect(categoryOf("__telestion__/log/a")).toBe("a");
    expect(categoryOf("__telestion__.log.a.b")).toBe("a.b");
    expect(categoryOf("__telestion__/health")).toBeUndefined();
  });
});

describe("log line timestamps", () => {
  it("accept a Date or epoch milliseconds and follow every change of the millisecond", () => {
    const body = new TextEncoder().encode("x");
    expect(formatLogLine(body, 0)).toBe("1970-01-01T00:00:00.000Z x\n");
    expect(formatLogLine(body, 0)).toBe("1970-01-01T00:00:00.000Z x\n");
    expect(formatLogLine(body, 1)).toBe("1970-01-01T00:00:00.001Z x\n");
    expect(formatLogLine(body, new Date(0))).toBe("1970-01-01T00:00:00.000Z x\n");
  });
});
