import { describe, expect, it } from "vitest";
import { parseArgs } from "../src/args.js";

describe("parseArgs", () => {
  it("reads --KEY=value, --KEY value and bare flags", () => {
    expect(parseArgs(["--A=1", "--B", "two", "--dev", "--C"])).toEqual({ A: "1", B: "two", dev: true, C: true });
  });

  it("keeps everything after the first = as the value, including more = and empty values", () => {
    expect(parseArgs(["--URL=nats://a=b", "--EMPTY="])).toEqual({ URL: "nats://a=b", EMPTY: "" });
  });

  it("treats a following option as the next key, not as a value", () => {
    expect(parseArgs(["--flag", "--KEY", "v"])).toEqual({ flag: true, KEY: "v" });
  });

  it("ignores positional words and stops at --", () => {
    expect(parseArgs(["serve", "--A", "1", "--", "--B=2"])).toEqual({ A: "1" });
  });

  it("the last occurrence wins", () => {
    expect(parseArgs(["--A=1", "--A=2"])).toEqual({ A: "2" });
  });
});
