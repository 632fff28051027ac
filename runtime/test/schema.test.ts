import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { z as z3 } from "zod3";
import { z as z4 } from "zod";
import { ConfigError, resolveConfig } from "../src/index.js";
import { testMessage } from "../src/testing.js";
import { fixture, runTs } from "./helpers/child.js";
import { useTestBus } from "./helpers/services.js";

const bus = useTestBus();

describe("schemas of any zod major (Standard Schema)", () => {
  it.each([
    ["zod 3", z3.object({ value: z3.number() })],
    ["zod 4", z4.object({ value: z4.number() })],
  ] as const)("%s: message.json validates, and names the path of a problem", (_, Reading) => {
    expect(testMessage("s", { value: 1 }).message.json(Reading)).toEqual({ value: 1 });
    expect(() => testMessage("s", { value: "hot" }).message.json(Reading)).toThrow(/^body on "s" is invalid: value: /);
  });

  it("zod 3: a configuration schema validates and coerces", () => {
    const env = { NATS_URL: "n:4222", NATS_USER: "", NATS_PASSWORD: "", SERVICE_NAME: "s", DATA_DIR: "/tmp/s" };
    const Config = z3.object({ POLL_MS: z3.coerce.number().int().positive() });
    expect(resolveConfig({ argv: [], env: { ...env, POLL_MS: "250" } }, Config).config.POLL_MS).toBe(250);
    expect(() => resolveConfig({ argv: [], env: { ...env, POLL_MS: "-1" } }, Config)).toThrow(ConfigError);
  });

  it("a service written against zod 3 typechecks against the runtime", () => {
    const file = fixture("zod3-service.ts");
    const config = ts.getParsedCommandLineOfConfigFile(
      fileURLToPath(new URL("../../tsconfig.json", import.meta.url)),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    )!;
    const program = ts.createProgram([file], config.options);
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(problems).toEqual([]);
  });

  it("a service written against zod 3 runs: its reply handler validates with zod 3", async () => {
    const child = runTs(fixture("zod3-service.ts"), bus.env({ SERVICE_NAME: "zod3-service", POLL_MS: "250" }));
    await child.waitFor(/is running/);
    const client = await bus.start("zod3-client");
    expect((await client.request("zod3.reading", { value: 21.5 })).json()).toEqual({ value: 21.5, unit: "degC", pollMs: 250 });
    child.kill();
    expect(await child.exited).toBe(0);
  });
});
