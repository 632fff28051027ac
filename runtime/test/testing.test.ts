import { describe, expect, expectTypeOf, it } from "vitest";
import { LogCategoryError } from "../src/log.js";
import type { Service } from "../src/service.js";
import { logRecorder } from "../src/testing.js";

describe("logRecorder", () => {
  it("keeps what is logged, in order, bodies as given", () => {
    const recorder = logRecorder();
    const bytes = new Uint8Array([0xff, 0x00]);
    recorder.log("sensors-temperature", { value: 21.5 });
    recorder.log("raw.frames", bytes);
    expect(recorder.logged).toEqual([
      { category: "sensors-temperature", body: { value: 21.5 } },
      { category: "raw.frames", body: bytes },
    ]);
    expect(recorder.logged[1]!.body).toBe(bytes);
  });

  it("refuses what service.log refuses, and records nothing then", () => {
    const recorder = logRecorder();
    expect(() => recorder.log("../etc", {})).toThrow(LogCategoryError);
    expect(() => recorder.log("ok", { n: 1n })).toThrow(/BigInt/);
    expect(recorder.logged).toEqual([]);
  });

  it("stands in for the service where a handler takes Pick<Service, \"log\">", () => {
    expectTypeOf(logRecorder()).toExtend<Pick<Service, "log">>();
  });
});
