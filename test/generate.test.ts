import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import nodePlop from "node-plop";
import { parse as parseYaml } from "yaml";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { handlerSpecs, insertAboveMarker, intervalMsOf, slugOf } from "../generators/handlers.js";
import { handlersModule } from "../generators/handlers-module.js";
import { PLOP } from "../generators/package-manager.js";
import { TEMPLATES_DIR } from "../generators/service.js";
import { TEMPLATES_ROOT } from "../generators/templates.js";
import type { Answers } from "../src/answers.js";
import { generate } from "../src/generate.js";
import { validateAnswers } from "../src/answers.js";
import { subjectsProblem } from "../src/validate.js";
import { testAnswers } from "../test-support/answers.js";

const RUNTIME = "file:../telestion-runtime-0.1.0.tgz";

function answers(overrides: Partial<Answers> = {}): Answers {
  return testAnswers({ description: "A service", runtime: RUNTIME, ...overrides });
}

/** Every project has these, whatever its handlers. */
const PROJECT_FILES = [
  ".dockerignore",
  ".env.example",
  ".gitignore",
  "Dockerfile",
  "README.md",
  "compose.yaml",
  "deploy/kubernetes/data-volume.yaml",
  "deploy/kubernetes/deployment.yaml",
  "deploy/kubernetes/kustomization.yaml",
  "deploy/kubernetes/log-sink.yaml",
  "deploy/kubernetes/nats-values.yaml",
  "eslint.config.js",
  "nats/nats-dev.conf",
  "nats/nats.conf",
  "package.json",
  "plop-templates/handlers.js",
  "plop-templates/publish.test.ts.hbs",
  "plop-templates/publish.ts.hbs",
  "plop-templates/reply.test.ts.hbs",
  "plop-templates/reply.ts.hbs",
  "plop-templates/subscribe-all.test.ts.hbs",
  "plop-templates/subscribe-all.ts.hbs",
  "plop-templates/subscribe.test.ts.hbs",
  "plop-templates/subscribe.ts.hbs",
  "plopfile.js",
  "scripts/build-exe.mjs",
  "scripts/build.mjs",
  "scripts/bundle.mjs",
  "src/main.ts",
  "tsconfig.json",
  "vitest.config.ts",
];

function handlerFiles(...slugs: string[]): string[] {
  return slugs.flatMap((slug) => [`src/handlers/${slug}.ts`, `test/handlers/${slug}.test.ts`]);
}

/** All files below `dir`, relative, sorted; read from disk, independent of what generate() reports. */
function filesOnDisk(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesOnDisk(dir, `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`]))
    .sort();
}

let root: string;
const read = (dir: string, file: string) => readFileSync(join(dir, file), "utf8");

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "generate-test-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
const freshTarget = () => join(root, `case-${++counter}`, "svc");

describe("generate: the files of each option set", () => {
  it("without handlers: the project files and nothing else", async () => {
    const target = freshTarget();
    const files = await generate(answers(), target);
    expect(files).toEqual([...PROJECT_FILES].sort());
    expect(filesOnDisk(target)).toEqual(files);
  });

  it("--subscribe a.b --reply c.d: one module and one test per subject", async () => {
    const target = freshTarget();
    const files = await generate(answers({ subscribe: ["a.b"], reply: ["c.d"] }), target);
    expect(files).toEqual([...PROJECT_FILES, ...handlerFiles("a-b", "c-d")].sort());
    expect(filesOnDisk(target)).toEqual(files);
  });

  it("--publish sensors.temperature@500ms,clock.tick: one module and one test per publisher", async () => {
    const target = freshTarget();
    const files = await generate(answers({ publish: ["sensors.temperature@500ms", "clock.tick"] }), target);
    expect(files).toEqual([...PROJECT_FILES, ...handlerFiles("sensors-temperature", "clock-tick")].sort());
    expect(filesOnDisk(target)).toEqual(files);
  });

  it("wildcards and colliding names get distinct, file-system-safe names", async () => {
    const target = freshTarget();
    const subscribe = ["telemetry.*", "telemetry.>", "a.b", "A.B", "a-b"];
    const files = await generate(answers({ subscribe, reply: ["a.b"] }), target);
    expect(files).toEqual(
      [...PROJECT_FILES, ...handlerFiles("telemetry-any", "telemetry-all", "a-b", "a-b-2", "a-b-3", "a-b-4")].sort(),
    );
    const main = read(target, "src/main.ts");
    expect(main).toContain(`service.subscribe("A.B", (message) => onAB2(message, service));`);
    expect(main).toContain(`service.reply("a.b", (message) => answerAB4(message, service));`);
    expect(main).toContain(`import { onTelemetryAll } from "./handlers/telemetry-all.js";`);
    // A wildcard subscription's test sends to a subject the wildcard matches.
    expect(read(target, "test/handlers/telemetry-all.test.ts")).toContain(`testMessage("telemetry.example"`);
  });
});

describe("generate: key contents", () => {
  let target: string;
  const description = `Ground "station" & <telemetry> {{not a template}}`;
  beforeAll(async () => {
    target = freshTarget();
    await generate(
      answers({ name: "@wuespace/thermal", description, subscribe: ["sensors.temperature"], reply: ["heater.set"] }),
      target,
    );
  });

  it("package.json: name, description verbatim, the runtime spec, scripts, pinned tool majors", () => {
    const pkg = JSON.parse(read(target, "package.json"));
    expect(pkg.name).toBe("@wuespace/thermal");
    expect(pkg.description).toBe(description);
    expect(pkg.type).toBe("module");
    expect(pkg.engines).toEqual({ node: ">=20" });
    expect(pkg.bin).toEqual({ thermal: "dist/main.mjs" });
    expect(Object.keys(pkg.scripts).sort()).toEqual(["build", "build:exe", "check", "dev", "generate", "lint", "start", "test", "typecheck"]);
    expect(pkg.scripts.dev).toMatch(/^tsx watch src\/main\.ts --dev$/);
    expect(pkg.scripts.start).toContain("dist/main.mjs");
    expect(pkg.scripts.test).toBe("vitest run"); // vitest.config.ts: passWithNoTests, own include
    expect(pkg.dependencies).toEqual({ "telestion-runtime": RUNTIME, zod: expect.stringMatching(/^\^4\./) });
    const dev = pkg.devDependencies;
    expect(dev.typescript).toMatch(/^~5\.9\./); // typescript-eslint needs TypeScript's JS API (not 7)
    expect(dev.vitest).toMatch(/^~4\.1\./); // vitest 5 needs Node 22
    expect(dev["@types/node"]).toMatch(/^\^20\./);
    expect(dev.eslint).toMatch(/^\^9\./);
    expect(dev["typescript-eslint"]).toMatch(/^\^8\./);
    for (const tool of ["esbuild", "tsx", "postject", "@eslint/js", "globals"]) expect(dev).toHaveProperty([tool]);
    // plop (~110 packages) is fetched on demand by `generate`, pinned, into the package manager's cache.
    expect(dev).not.toHaveProperty(["plop"]);
    expect(pkg.scripts.generate).toBe(`npx --yes --prefer-offline ${PLOP}`);
    expect(PLOP).toMatch(/^plop@\d+\.\d+\.\d+$/);
  });

  it("src/main.ts imports and registers each handler above the markers, without top-level await", () => {
    const main = read(target, "src/main.ts");
    const lines = main.split("\n");
    const at = (text: string) => lines.findIndex((line) => line.includes(text));
    expect(at(`import { onSensorsTemperature } from "./handlers/sensors-temperature.js";`)).toBeLessThan(at("// plop:imports"));
    expect(at(`import { answerHeaterSet } from "./handlers/heater-set.js";`)).toBeLessThan(at("// plop:imports"));
    const subscribe = at(`  service.subscribe("sensors.temperature", (message) => onSensorsTemperature(message, service));`);
    const reply = at(`  service.reply("heater.set", (message) => answerHeaterSet(message, service));`);
    expect(subscribe).toBeGreaterThan(at("void runService((service) => {"));
    expect(subscribe).toBeLessThan(reply);
    expect(reply).toBeLessThan(at("  // plop:handlers"));
    // Node 20's single executable needs a CommonJS main: no top-level await anywhere in src/.
    expect(main).not.toMatch(/^(?:export |const |let |void |)await\b/m);
  });

  it("handler modules validate with zod and log under their own category", () => {
    const sub = read(target, "src/handlers/sensors-temperature.ts");
    expect(sub).toContain("export function onSensorsTemperature(message: Message, service: Pick<Service, \"log\">): void");
    expect(sub).toContain("message.json(Reading)");
    expect(sub).toContain(`service.log("sensors-temperature", `);
    const rep = read(target, "src/handlers/heater-set.ts");
    expect(rep).toContain("export function answerHeaterSet(message: Message, service: Pick<Service, \"log\">)");
    expect(rep).toContain("message.json(Command)");
    expect(read(target, "test/handlers/heater-set.test.ts")).toContain(`testMessage("heater.set"`);
    expect(read(target, "test/handlers/sensors-temperature.test.ts")).toContain(
      `import { onSensorsTemperature } from "../../src/handlers/sensors-temperature.js";`,
    );
  });

  it("every rendered file is free of template syntax; the plop templates are copied verbatim", () => {
    for (const file of filesOnDisk(target)) {
      const text = read(target, file);
      if (file === "plop-templates/handlers.js") {
        expect(text).toBe(handlersModule());
      } else if (file.startsWith("plop-templates/")) {
        expect(text, file).toBe(readFileSync(join(TEMPLATES_DIR, "handler", file.slice("plop-templates/".length)), "utf8"));
      } else if (file !== "package.json" && file !== "README.md") {
        expect(text, file).not.toMatch(/\{\{|\}\}/);
      }
    }
    // The description is user text: it appears as written, not HTML-escaped and not rendered.
    expect(read(target, "README.md")).toContain(description);
    // Only a service in a --project points to a root README.
    expect(read(target, "README.md")).not.toContain("One service of a project");
  });

  it("compose.yaml wires NATS and the service through the five variables, the password from .env", () => {
    const compose = parseYaml(read(target, "compose.yaml"));
    const password = "${NATS_PASSWORD:?set NATS_PASSWORD in .env (see .env.example)}";
    expect(compose.services.nats.environment.NATS_PASSWORD).toBe(password);
    expect(compose.services.nats.volumes).toContain("./nats/nats.conf:/etc/nats/nats.conf:ro");
    // The operators' user, for the Telestion frontend on the WebSocket port, published on loopback only.
    expect(compose.services.nats.environment.OPERATOR_PASSWORD).toBe("${OPERATOR_PASSWORD:?set OPERATOR_PASSWORD in .env (see .env.example)}");
    expect(compose.services.nats.ports).toEqual(["127.0.0.1:${NATS_PORT:-4222}:4222", "127.0.0.1:${NATS_WS_PORT:-9222}:9222"]);
    const env = compose.services.service.environment;
    expect(Object.keys(env).sort()).toEqual(["DATA_DIR", "NATS_PASSWORD", "NATS_URL", "NATS_USER", "SERVICE_NAME"]);
    expect(env).toMatchObject({ NATS_URL: "nats://nats:4222", NATS_PASSWORD: password, SERVICE_NAME: "thermal", DATA_DIR: "/data" });
    expect(compose.services.service.volumes).toEqual(["data:/data"]);
    expect(compose.services["log-sink"].entrypoint).toContain("dist/log-sink.mjs");
    // nats.conf takes the credentials from the environment: no literal password anywhere.
    const natsConf = read(target, "nats/nats.conf");
    expect(natsConf).toMatch(/user: \$NATS_USER, password: \$NATS_PASSWORD/);
    expect(natsConf).toMatch(/user: \$OPERATOR_USER, password: \$OPERATOR_PASSWORD/);
  });

  it(".env.example lists the five variables and the operators' user without a password; .gitignore keeps .env out", () => {
    const env = read(target, ".env.example");
    const keys = [...env.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]);
    expect(keys.map(([key]) => key).sort()).toEqual(["DATA_DIR", "NATS_PASSWORD", "NATS_URL", "NATS_USER", "OPERATOR_PASSWORD", "OPERATOR_USER", "SERVICE_NAME"]);
    expect(Object.fromEntries(keys)).toMatchObject({ NATS_PASSWORD: "", OPERATOR_PASSWORD: "", SERVICE_NAME: "thermal" });
    const ignored = read(target, ".gitignore").split("\n");
    for (const entry of ["node_modules/", "dist/", ".env", "data/"]) expect(ignored).toContain(entry);
    expect(read(target, ".dockerignore").split("\n")).toEqual(expect.arrayContaining(["node_modules/", "dist/", ".env"]));
  });

  it("the README uses the chosen package manager's commands", async () => {
    expect(read(target, "README.md")).toMatch(/```sh\nnpm install\n(#.*\n|nats-server -c nats\/nats-dev\.conf\n)+npm run dev\n```/);
    expect(read(target, "README.md")).toContain("npm run check");
    expect(read(target, "README.md")).toContain("npm run generate -- reply time.now");
    const pnpm = freshTarget();
    await generate(answers({ packageManager: "pnpm", install: true }), pnpm);
    const readme = read(pnpm, "README.md");
    expect(readme).toMatch(/```sh\npnpm install\n(#.*\n|nats-server -c nats\/nats-dev\.conf\n)+pnpm dev\n```/);
    expect(readme).toContain("pnpm exec telestion ls --dev");
    expect(readme).toContain("pnpm build:exe");
    expect(readme).toContain("pnpm generate reply time.now");
    expect(readme).not.toContain("npm run");
  });
});

describe("the project's plopfile adds handlers exactly as the generator does", () => {
  /**
   * The plopfile imports telestion-runtime/subjects and reads src/main.ts with typescript: give it this
   * checkout's runtime and typescript, as an install would.
   */
  async function loadPlop(project: string) {
    mkdirSync(join(project, "node_modules"), { recursive: true });
    symlinkSync(fileURLToPath(new URL("../runtime", import.meta.url)), join(project, "node_modules", "telestion-runtime"));
    symlinkSync(fileURLToPath(new URL("../node_modules/typescript", import.meta.url)), join(project, "node_modules", "typescript"));
    return nodePlop(join(project, "plopfile.js"));
  }

  /** The `subject` prompt's check, as `npm run generate` runs it: true, or the problem. */
  async function subjectCheck(project: string) {
    const plop = await loadPlop(project);
    const prompts = plop.getGenerator("handler").prompts as Array<{ name: string; validate?: (v: string, a: object) => unknown }>;
    const validate = prompts.find((p) => p.name === "subject")!.validate!;
    return (kind: string, subject: string) => validate(subject, { kind });
  }

  it("a project generated without handlers plus `generate` equals one generated with them", async () => {
    const withHandlers = freshTarget();
    // "a-b" and "a.b" share a slug: the second becomes a-b-2, in both paths.
    const publish = ["sensors.temperature@500ms", "a.b", "clock.tick@0.25s"];
    await generate(answers({ subscribe: ["a.b", "telemetry.>"], subscribeAll: ["config.>"], reply: ["c.d", "a-b"], publish }), withHandlers);
    const grown = freshTarget();
    await generate(answers(), grown);

    const plop = await loadPlop(grown);
    const handler = plop.getGenerator("handler");
    const added = [
      { kind: "subscribe", subject: "a.b" },
      { kind: "subscribe", subject: "telemetry.>" },
      { kind: "subscribe-all", subject: "config.>" },
      { kind: "reply", subject: "c.d" },
      { kind: "reply", subject: "a-b" },
      // A publisher's interval with its subject as --publish gives it, from its own question, or the default.
      { kind: "publish", subject: "sensors.temperature@500ms" },
      { kind: "publish", subject: "a.b" },
      { kind: "publish", subject: "clock.tick", interval: "0.25s" },
    ];
    for (const answers of added) {
      const { failures } = await handler.runActions(answers);
      expect(failures).toEqual([]);
    }
    expect(read(grown, "src/main.ts")).toContain(`  service.publishEvery("clock.tick", 250, readClockTick);`);
    expect(read(grown, "src/main.ts")).toContain(`  service.publishEvery("a.b", 1000, readAB3);`);
    rmSync(join(grown, "node_modules"), { recursive: true });
    expect(filesOnDisk(grown)).toEqual(filesOnDisk(withHandlers));
    // The README's first commands name the handlers the project was generated with; `generate` leaves it alone.
    for (const file of filesOnDisk(withHandlers).filter((file) => file !== "README.md")) {
      expect(read(grown, file), file).toBe(read(withHandlers, file));
    }
  });

  it("validates subjects like the generator: the same rules and messages, overlaps with registered handlers included", async () => {
    const given = { subscribe: ["sensors.temperature"], subscribeAll: ["config.>"], reply: ["time.now"], publish: ["clock.tick"] };
    const target = freshTarget();
    await generate(answers(given), target);
    const check = await subjectCheck(target);
    // What the CLI says of the same handler given with the project's: the same rule, the same words.
    const cli = (kind: string, subject: string) => {
      const key = kind === "subscribe-all" ? "subscribeAll" : (kind as "subscribe" | "reply" | "publish");
      try {
        validateAnswers({ ...given, [key]: [...given[key], subject] }, target);
        return true;
      } catch (error) {
        return (error as Error).message;
      }
    };
    for (const [kind, subject] of [
      ["subscribe", "telemetry.*"],
      ["subscribe", "telemetry.>"],
      ["subscribe-all", "telemetry.>"],
      ["reply", "telemetry.*"],
      ["subscribe", "a..b"],
      ["subscribe-all", "a b"],
      ["subscribe", "a.>.b"],
      ["subscribe-all", "a.b*"],
      ["reply", ""],
      ["subscribe-all", "__telestion__.health"],
      ["reply", "time.now"],
      ["subscribe", "sensors.*"],
      // No queue group: the overlap rule, which holds within a queue group, does not apply.
      ["subscribe-all", "sensors.*"],
      ["subscribe-all", "config.>"],
      ["subscribe", "config.x"],
      ["reply", "config.x"],
      // A publisher: a concrete subject, and an interval if the subject carries one.
      ["publish", "sensors.*"],
      ["publish", "__telestion__.log.x"],
      ["publish", "$SRV.PING"],
      ["publish", "a b"],
      ["publish", "@1s"],
      ["publish", "t@500"],
      ["publish", "t@0ms"],
      ["publish", "t@1.5ms"],
      ["publish", "t@1h"],
      ["publish", "t@2147484s"],
      ["publish", "t@500ms"],
      // It joins no queue group: it may share its subject with any handler, another publisher included.
      ["publish", "sensors.temperature@2s"],
      ["publish", "time.now"],
      ["publish", "clock.tick"],
    ] as const) {
      expect(check(kind, subject), `${kind} ${subject}`).toBe(cli(kind, subject));
    }
    expect(check("subscribe", "telemetry.>")).toBe(true);
    expect(check("subscribe-all", "sensors.*")).toBe(true);
    expect(check("subscribe", "config.x")).toBe(true);
    expect(check("reply", "time.now")).toBe(subjectsProblem([], ["time.now", "time.now"]));
    expect(check("subscribe", "sensors.*")).toMatch(/^subscription subject "sensors\.temperature" and subscription subject "sensors\.\*" overlap/);
    expect(check("subscribe-all", "a b")).toMatch(/^subscription subject "a b" contains whitespace/);
    expect(check("publish", "sensors.temperature@2s")).toBe(true);
    expect(check("publish", "sensors.*")).toMatch(/^publish subject "sensors\.\*" contains a wildcard/);
    expect(check("publish", "t@500")).toBe('interval "500" of publish subject "t" has no unit; write 500ms or 500s');
  });

  it("asks a publisher's interval only when its subject does not carry one, with the CLI's rule and default", async () => {
    const target = freshTarget();
    await generate(answers(), target);
    const plop = await loadPlop(target);
    type Prompt = { name: string; default?: unknown; when?: (a: object) => boolean; validate?: (v: string, a: object) => unknown };
    const prompts = plop.getGenerator("handler").prompts as Prompt[];
    const interval = prompts.find((p) => p.name === "interval")!;
    expect(interval.default).toBe("1s");
    expect(interval.when!({ kind: "publish", subject: "sensors.temperature" })).toBe(true);
    expect(interval.when!({ kind: "publish", subject: "sensors.temperature@500ms" })).toBe(false);
    for (const kind of ["subscribe", "subscribe-all", "reply"]) expect(interval.when!({ kind, subject: "a.b" }), kind).toBe(false);
    const cli = (publication: string) => {
      try {
        validateAnswers({ publish: [publication] }, target);
        return true;
      } catch (error) {
        return (error as Error).message;
      }
    };
    for (const text of ["500ms", "2s", "0.5s", "500", "", "0s", "1.5ms", "9999999999ms", "soon"]) {
      expect(interval.validate!(text, { kind: "publish", subject: "t" }), text).toBe(cli(`t@${text}`));
    }
    expect(interval.validate!("500", { kind: "publish", subject: "t" })).toMatch(/has no unit/);
  });

  it("offers the kinds there are templates for, and each one the CLI makes", async () => {
    const target = freshTarget();
    await generate(answers(), target);
    const plop = await loadPlop(target);
    const kind = (plop.getGenerator("handler").prompts as Array<{ name: string; choices?: Array<{ value: string }> }>).find((p) => p.name === "kind")!;
    const offered = kind.choices!.map((choice) => choice.value);
    expect(offered).toEqual(["subscribe", "subscribe-all", "reply", "publish"]);
    const templates = readdirSync(join(target, "plop-templates")).filter((file) => file.endsWith(".hbs"));
    expect(templates.sort()).toEqual(offered.flatMap((k) => [`${k}.test.ts.hbs`, `${k}.ts.hbs`]).sort());
    // What the CLI generates for each of its handler options is of one of these kinds.
    const all = handlerSpecs({ subscribe: ["a"], subscribeAll: ["b"], reply: ["c"], publish: ["d"] });
    expect(all.map((spec) => spec.kind)).toEqual(offered);
  });

  it("reads src/main.ts as code: queue options count, commented-out registrations do not", async () => {
    const target = freshTarget();
    await generate(answers(), target);
    const registrations = [
      `service.subscribe("own.>", handle, { queue: "own-group" });`,
      `service.subscribe("every.>", handle, { queue: false });`,
      `service.subscribe("late.>", handle, { queue: "x", queue: false });`,
      `service.subscribe("spread.>", handle, { ...options });`,
      `service.subscribe("system.>", handle, { system: true });`,
      `service.subscribe("plain.>", handle);`,
      `// service.subscribe("commented.>", handle);`,
      `/* service.reply("block.get", handle); */`,
      `const text = 'service.subscribe("quoted.>", handle)';`,
    ];
    writeFileSync(join(target, "src/main.ts"), insertAboveMarker(read(target, "src/main.ts"), "// plop:handlers", registrations.join("\n  ")));
    const check = await subjectCheck(target);
    // Another queue group, or none: these may overlap a new handler in SERVICE_NAME's group.
    for (const subject of ["own.x", "every.x", "late.x"]) expect(check("subscribe", subject), subject).toBe(true);
    // A queue group the code computes: only the running service can tell; the runtime checks it at start.
    expect(check("subscribe", "spread.x")).toBe(true);
    // Comments and strings are not code.
    for (const subject of ["commented.x", "block.get", "quoted.x"]) expect(check("reply", subject), subject).toBe(true);
    // Options without a queue, or none: queue group SERVICE_NAME, where the rule holds.
    expect(check("subscribe", "system.x")).toMatch(/^subscription subject "system\.>" and subscription subject "system\.x" overlap/);
    expect(check("reply", "plain.get")).toMatch(/^subscription subject "plain\.>" and reply subject "plain\.get" overlap/);
    // A new handler without a queue group overlaps nothing.
    expect(check("subscribe-all", "plain.x")).toBe(true);
  });

  it("a subscribe-all handler keeps state, registered with { queue: false }", async () => {
    const target = freshTarget();
    await generate(answers({ subscribeAll: ["config.*"] }), target);
    expect(read(target, "src/main.ts")).toContain(`  service.subscribe("config.*", onConfigAny, { queue: false });`);
    const module = read(target, "src/handlers/config-any.ts");
    expect(module).toContain("export function onConfigAny(message: Message): void");
    expect(module).toMatch(/`\{ queue: false \}`[^]*every instance of the service receives every message/);
    expect(module).not.toContain("service.log");
    const test = read(target, "test/handlers/config-any.test.ts");
    expect(test).toContain(`import { latestReadings, onConfigAny } from "../../src/handlers/config-any.js";`);
    expect(test).toContain(`testMessage("config.example"`);
  });

  it("a publisher is called every interval by service.publishEvery, its reading validated with zod", async () => {
    const target = freshTarget();
    await generate(answers({ subscribe: ["sensors.>"], publish: ["sensors.temperature@500ms"] }), target);
    const main = read(target, "src/main.ts");
    expect(main).toContain(`import { readSensorsTemperature } from "./handlers/sensors-temperature.js";`);
    expect(main).toContain(`  service.publishEvery("sensors.temperature", 500, readSensorsTemperature);`);
    const module = read(target, "src/handlers/sensors-temperature.ts");
    expect(module).toContain("export function readSensorsTemperature(sensor: () => number = simulatedSensor): Reading");
    expect(module).toContain("Called every 500 ms");
    expect(module).toContain("return Reading.parse(");
    // The subscription's schema reads what the publisher sends: the same fields.
    const schema = (text: string) => /export const Reading = z\.object\(\{[^}]*\}\);/.exec(text)![0];
    expect(schema(module)).toBe(schema(read(target, "src/handlers/sensors-all.ts")));
    const test = read(target, "test/handlers/sensors-temperature.test.ts");
    expect(test).toContain(`import { Reading, readSensorsTemperature } from "../../src/handlers/sensors-temperature.js";`);
    expect(test).not.toContain("telestion-runtime");
  });
});

describe("generate: the target directory", () => {
  afterEach(() => {
    vi.doUnmock("../generators/service.js");
    vi.resetModules();
  });

  it("gives the project folder the mode of any folder the user makes (not mkdtemp's 0700)", async () => {
    const target = freshTarget();
    await generate(answers(), target);
    const reference = join(root, `reference-${counter}`);
    mkdirSync(reference);
    expect(statSync(target).mode & 0o777).toBe(statSync(reference).mode & 0o777);
    expect(statSync(target).mode & 0o055).not.toBe(0); // readable by others under a usual umask
  });

  it("refuses a non-empty directory and leaves it as it was", async () => {
    const target = freshTarget();
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, "notes.txt"), "mine");
    await expect(generate(answers(), target)).rejects.toThrow(/is not empty/);
    expect(readdirSync(target)).toEqual(["notes.txt"]);
    expect(readdirSync(join(target, ".."))).toEqual(["svc"]); // no staging folder left
  });

  it("refuses a file and a relative path", async () => {
    const target = freshTarget();
    mkdirSync(join(target, ".."), { recursive: true });
    writeFileSync(target, "");
    await expect(generate(answers(), target)).rejects.toThrow(/not a directory/);
    await expect(generate(answers(), "relative/svc")).rejects.toThrow(/absolute/);
  });

  it("fills an empty directory in place (it may be the user's working directory)", async () => {
    const target = freshTarget();
    mkdirSync(target, { recursive: true });
    const inode = statSync(target).ino;
    const files = await generate(answers(), target);
    expect(statSync(target).ino).toBe(inode);
    expect(filesOnDisk(target)).toEqual(files);
  });

  it("accepts a directory with only .git and keeps it", async () => {
    const target = freshTarget();
    mkdirSync(join(target, ".git"), { recursive: true });
    writeFileSync(join(target, ".git", "HEAD"), "ref: refs/heads/main\n");
    const files = await generate(answers({ subscribe: ["a.b"] }), target);
    expect(files).not.toContain(".git/HEAD");
    expect(read(target, ".git/HEAD")).toBe("ref: refs/heads/main\n");
    expect(filesOnDisk(target)).toEqual([".git/HEAD", ...files].sort());
  });

  it("leaves nothing behind when a file fails after files were written, not even created parents", async () => {
    // The real generator's files plus one more that must fail: src/main.ts exists by then.
    vi.doMock("../generators/service.js", async (importOriginal) => {
      const real = await importOriginal<typeof import("../generators/service.js")>();
      return {
        ...real,
        serviceFiles: (...args: Parameters<typeof real.serviceFiles>) => [...real.serviceFiles(...args), { path: "src/main.ts", content: "again" }],
      };
    });
    const { generate: generateFailing } = await import("../src/generate.js");
    const parent = join(root, `case-${++counter}`);
    const target = join(parent, "deeper", "svc");
    await expect(generateFailing(answers({ subscribe: ["a.b"] }), target)).rejects.toThrow("could not generate src/main.ts: file already exists");
    expect(existsSync(parent)).toBe(false);
  });

  it("leaves no staging folder behind when interrupted (Ctrl-C) while writing", async () => {
    const parent = join(root, `case-${++counter}`);
    const target = join(parent, "deeper", "svc");
    const tsx = fileURLToPath(import.meta.resolve("tsx"));
    const fixture = fileURLToPath(new URL("fixtures/interrupted-generate.ts", import.meta.url));
    const child = await new Promise<{ code: number | null; signal: string | null; stdout: string }>((done) => {
      let stdout = "";
      const proc = spawn(process.execPath, ["--import", tsx, fixture, target], { stdio: ["ignore", "pipe", "inherit"] });
      proc.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      proc.on("exit", (code, signal) => done({ code, signal, stdout }));
    });
    expect(child.signal).toBe("SIGINT");
    expect(child.stdout).not.toContain("finished");
    // Nothing half-written: the parents this run created are gone with the staging folder.
    expect(existsSync(parent)).toBe(false);
  }, 60_000);

  it("leaves nothing behind when rendering throws", async () => {
    const parent = join(root, `case-${++counter}`);
    mkdirSync(parent);
    const broken = answers({ subscribe: [42 as unknown as string] });
    await expect(generate(broken, join(parent, "svc"))).rejects.toThrow();
    expect(readdirSync(parent)).toEqual([]);
  });
});

describe("handler names", () => {
  it("slugs: tokens joined by dashes, wildcards named, lower-case ASCII only", () => {
    expect(slugOf("sensors.temperature")).toBe("sensors-temperature");
    expect(slugOf("telemetry.*.raw")).toBe("telemetry-any-raw");
    expect(slugOf("telemetry.>")).toBe("telemetry-all");
    expect(slugOf("Ground_Station.Ümlaut")).toBe("ground-station-mlaut");
    expect(slugOf("$$$")).toBe("handler");
  });

  it("never gives two handlers the same file or function name", () => {
    const specs = handlerSpecs({ subscribe: ["a.b", "a-b", "a.b2"], subscribeAll: [], reply: ["a.b", "ab"] });
    expect(specs.map((s) => s.slug)).toEqual(["a-b", "a-b-2", "a-b2-2", "a-b-3", "ab-4"]);
    expect(specs.map((s) => s.functionName)).toEqual(["onAB", "onAB2", "onAB22", "answerAB3", "answerAb4"]);
    const lowerCased = (names: string[]) => new Set(names.map((n) => n.toLowerCase())).size;
    expect(lowerCased(specs.map((s) => s.slug))).toBe(specs.length);
    expect(lowerCased(specs.map((s) => s.functionName.replace(/^(on|answer)/, "")))).toBe(specs.length);
  });

  it("publishers are named read…, after the others, and keep their interval in milliseconds", () => {
    const specs = handlerSpecs({ subscribe: ["a.b"], subscribeAll: [], reply: [], publish: ["a.b@2s", "c@250ms", "d"] });
    expect(specs.map((s) => [s.functionName, s.intervalMs])).toEqual([
      ["onAB", undefined],
      ["readAB2", 2000],
      ["readC", 250],
      ["readD", 1000],
    ]);
    expect(() => handlerSpecs({ subscribe: [], subscribeAll: [], reply: [], publish: ["e@5"] })).toThrow('interval "5" of publish subject "e" has no unit');
  });

  it("intervals: ms or s, seconds converted exactly, the interval after the last @", () => {
    expect(["1ms", "500ms", "0500ms", "2s", "0.5s", "0.007s", "1.25s", "3.000s"].map(intervalMsOf)).toEqual([1, 500, 500, 2000, 500, 7, 1250, 3000]);
    expect(["1.5ms", "0.0005s"].map(intervalMsOf)).toEqual([1.5, 0.5]);
    for (const text of ["", "500", "5 ms", "1e3ms", "-1s", "1m", "1h", ".5s", "1.s", "500MS"]) expect(intervalMsOf(text), text).toBeUndefined();
    expect(handlerSpecs({ subscribe: [], subscribeAll: [], reply: [], publish: ["user@host@2s"] })[0]).toMatchObject({ subject: "user@host", intervalMs: 2000 });
  });

  it("subject literals are escaped for TypeScript", () => {
    const [spec] = handlerSpecs({ subscribe: ['a."quoted".$&'], subscribeAll: [], reply: [] });
    expect(spec!.subjectLiteral).toBe(JSON.stringify('a."quoted".$&'));
  });

  it("insertAboveMarker keeps the marker's indentation and needs the marker", () => {
    expect(insertAboveMarker("a\n  // plop:handlers\nb", "// plop:handlers", "x();")).toBe("a\n  x();\n  // plop:handlers\nb");
    expect(() => insertAboveMarker("no marker", "// plop:handlers", "x();")).toThrow(/no "\/\/ plop:handlers" line/);
  });
});

describe("the generator package", () => {
  it("ships every template under a name npm keeps (no dotfiles: npm drops .gitignore)", async () => {
    const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
    const { stdout } = await promisify(execFile)("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root });
    const [pack] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>;
    const shipped = pack!.files.map((f) => f.path).filter((path) => path.startsWith("templates/"));
    const templates = filesOnDisk(TEMPLATES_ROOT).map((path) => `templates/${path}`);
    expect(shipped.sort()).toEqual(templates);
    expect(templates.filter((path) => path.split("/").some((part) => part.startsWith(".")))).toEqual([]);
  });
});

describe("the CLI bundle", () => {
  it("carries every template precompiled (or marked as copied verbatim), so that no run compiles one", async () => {
    const { builtCli, REPO } = await import("../test-support/built-cli.js");
    builtCli();
    const chunks = readdirSync(join(REPO, "dist"), { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".mjs"));
    const bundled = chunks.map((file) => readFileSync(join(REPO, "dist", file), "utf8")).join("\n");
    const templates = readdirSync(join(REPO, "templates"), { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".hbs"));
    expect(templates.length).toBeGreaterThan(10);
    for (const file of templates) expect(bundled, file).toContain(JSON.stringify(file));
  }, 120_000);

  it("is the whole published package: installed from its tarball with no dependencies, it generates", async () => {
    const { builtCli, REPO } = await import("../test-support/built-cli.js");
    builtCli();
    const dir = mkdtempSync(join(tmpdir(), "cts-packed-"));
    try {
      const run = (command: string, args: string[], cwd = dir) => promisify(execFile)(command, args, { cwd });
      await run("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], REPO);
      const tarball = readdirSync(dir).find((file) => file.endsWith(".tgz"))!;
      writeFileSync(join(dir, "package.json"), '{ "name": "consumer", "private": true }\n');
      await run("npm", ["install", "--no-audit", "--no-fund", `./${tarball}`]);
      expect(readdirSync(join(dir, "node_modules")).filter((name) => !name.startsWith("."))).toEqual(["create-telestion-service"]);
      await run(join(dir, "node_modules", ".bin", "create-telestion-service"), ["svc", "--yes", "--no-install", "--no-git", "--reply", "c.d", "--package-manager", "npm"]);
      expect(readFileSync(join(dir, "svc", "src", "main.ts"), "utf8")).toContain('service.reply("c.d"');
      expect(existsSync(join(dir, "svc", ".gitignore"))).toBe(true);
      // The bundle's prebuilt templates and handlers.js give exactly what the source renders and compiles.
      const { version } = JSON.parse(read(REPO, "package.json")) as { version: string };
      const fromSource = freshTarget();
      await generate(
        answers({ description: "A Telestion service that communicates over NATS.", subscribe: ["sensors.>"], reply: ["c.d"], runtime: `^${version}` }),
        fromSource,
      );
      expect(filesOnDisk(join(dir, "svc"))).toEqual(filesOnDisk(fromSource));
      for (const file of filesOnDisk(fromSource)) expect(read(join(dir, "svc"), file), file).toBe(read(fromSource, file));
      expect(read(fromSource, "plop-templates/handlers.js")).toBe(handlersModule());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
