import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerfileParser, Env, From, Healthcheck, JSONInstruction, ModifiableInstruction, type Instruction } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACKAGE_MANAGERS, imageInstall, packageManagerFacts, type PackageManager } from "../generators/package-manager.js";
import type { Answers } from "../src/answers.js";
import { UserError } from "../src/errors.js";
import { generate } from "../src/generate.js";
import { testAnswers } from "../test-support/answers.js";

/*
 * The generated Dockerfile checked statically: the dockerfile-utils linter for syntax, plus the rules
 * it is blind to (unknown --from stages, shell-form ENTRYPOINT, flags old engines reject, …) asserted
 * here on the dockerfile-ast parse tree. test/image.test.ts builds and runs it for real.
 */

/** HEALTHCHECK flags every engine takes: --start-interval needs Docker 25+, and podman 4.3 rejects it. */
const PORTABLE_HEALTHCHECK_FLAGS = ["interval", "timeout", "start-period", "retries"];
/** Node.js release lines still supported (Node 20 reached its end of life on 2026-04-30). */
const SUPPORTED_NODE_MAJORS = [22, 24];
/** Installs that take exactly the lockfile, one per package manager (npm ci, pnpm install --frozen-lockfile, …). */
// Each manager's frozen install, yarn 4's (--immutable) included.
const FROZEN_INSTALLS = [
  ...new Set(PACKAGE_MANAGERS.flatMap((pm) => [imageInstall(pm).frozenInstall.join(" "), imageInstall(pm, "4.0.0").frozenInstall.join(" ")])),
];

interface Stage {
  from: From;
  instructions: Instruction[];
}

/** Everything wrong with `text` as this project's Dockerfile, as one line per problem; [] when it is fine. */
function dockerfileProblems(text: string): string[] {
  const problems = validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  const dockerfile = DockerfileParser.parse(text);
  if (dockerfile.getDirectives().some((d) => d.getName() === "syntax")) {
    problems.push("a # syntax= directive makes BuildKit fetch a frontend image from Docker Hub first");
  }
  const args = new Map(dockerfile.getInitialARGs().map((arg) => [arg.getProperty()?.getName(), arg.getProperty()?.getValue()]));

  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction instanceof From) stages.push({ from: instruction, instructions: [] });
    else stages.at(-1)?.instructions.push(instruction);
  }
  if (stages.length < 2) problems.push("not multi-stage: build in one stage, run in a slim one");

  const defined = new Set<string>();
  for (const [index, { from, instructions }] of stages.entries()) {
    const image = from.getImage() ?? "";
    const viaArg = /^\$\{?(\w+)\}?$/.exec(image);
    if (viaArg && !defined.has(image)) {
      const value = args.get(viaArg[1]);
      if (!value) problems.push(`FROM ${image}: the build argument ${viaArg[1]} has no default before the first FROM`);
      else if (!isPinned(value)) problems.push(`FROM ${image}: default ${value} is not a pinned tag`);
      else if (!isSupportedNode(value)) problems.push(`FROM ${image}: default ${value} is not a supported Node.js LTS line`);
    } else if (!viaArg && !defined.has(image)) {
      problems.push(`FROM ${image}: the base image should be a build argument (ARG NODE_IMAGE=…) for mirrors`);
      if (!isPinned(image)) problems.push(`FROM ${image}: not a pinned tag`);
    }
    const name = from.getBuildStage();
    for (const instruction of instructions) {
      if (!(instruction instanceof ModifiableInstruction)) continue;
      for (const flag of instruction.getFlags()) {
        if (flag.getName() === "from" && !defined.has(flag.getValue() ?? "")) {
          problems.push(`${instruction.getKeyword()} --from=${flag.getValue()}: no such stage before stage ${index + 1}`);
        }
      }
    }
    if (name) defined.add(name);
  }

  const final = stages.at(-1);
  if (!final) return [...problems, "no FROM"];
  const last = (keyword: string) => final.instructions.filter((i) => i.getKeyword() === keyword).at(-1);

  const entrypoint = last("ENTRYPOINT");
  if (!entrypoint) problems.push("no ENTRYPOINT in the final stage");
  else if (!(entrypoint instanceof JSONInstruction) || entrypoint.getOpeningBracket() === null) {
    problems.push("ENTRYPOINT must be in exec form (a JSON array), so signals reach the service");
  } else if (!entrypoint.getJSONStrings().some((s) => s.getJSONValue().startsWith("dist/"))) {
    problems.push("ENTRYPOINT does not run the bundle in dist/");
  }

  const healthcheck = last("HEALTHCHECK");
  if (!(healthcheck instanceof Healthcheck) || healthcheck.getSubcommand()?.getValue().toUpperCase() !== "CMD") {
    problems.push("no HEALTHCHECK CMD in the final stage");
  } else {
    const flags = new Map(healthcheck.getFlags().map((f) => [f.getName(), f.getValue() ?? ""]));
    for (const name of flags.keys()) {
      if (!PORTABLE_HEALTHCHECK_FLAGS.includes(name)) problems.push(`HEALTHCHECK --${name}: engines before Docker 25 reject it`);
    }
    // The first probe runs one interval after start (default 30 s): that is how long a container stays "starting".
    const interval = seconds(flags.get("interval") ?? "30s");
    if (interval === undefined || interval > 10) problems.push(`HEALTHCHECK --interval=${flags.get("interval") ?? "30s (default)"}: healthy only that long after start`);
  }

  const user = last("USER")?.getArguments()[0]?.getValue();
  if (!user || /^(root|0)(:|$)/.test(user)) problems.push(`the final stage runs as ${user ?? "root (no USER)"}`);

  const env = new Map(
    final.instructions.filter((i): i is Env => i instanceof Env).flatMap((i) => i.getProperties().map((p) => [p.getName(), p.getValue()])),
  );
  const dataDir = env.get("DATA_DIR");
  const volumes = final.instructions
    .filter((i) => i.getKeyword() === "VOLUME")
    .flatMap((i) => (i instanceof JSONInstruction && i.getOpeningBracket() ? i.getJSONStrings().map((s) => s.getJSONValue()) : i.getArguments().map((a) => a.getValue())));
  if (!dataDir) problems.push("the final stage does not set DATA_DIR");
  else if (!volumes.includes(dataDir)) problems.push(`DATA_DIR ${dataDir} is not a VOLUME`);

  if (!dockerfile.getInstructions().some((i) => i.getKeyword() === "RUN" && FROZEN_INSTALLS.includes(i.getArgumentsContent() ?? ""))) {
    problems.push(`dependencies are not installed from the lockfile (one of: ${FROZEN_INSTALLS.join("; ")})`);
  }
  if (/NATS_PASSWORD/.test(text)) problems.push("mentions NATS_PASSWORD: credentials must come at run time, never from the image");
  for (const instruction of dockerfile.getInstructions()) {
    if (/^(ENV|ARG|LABEL)$/.test(instruction.getKeyword()) && /PASSWORD|SECRET|TOKEN/i.test(instruction.getArgumentsContent() ?? "")) {
      problems.push(`line ${instruction.getRange().start.line + 1}: a secret in ${instruction.getKeyword()}`);
    }
  }
  return problems;
}

/** "5s", "1m30s", "500ms" in seconds; undefined when it is none of these. */
function seconds(duration: string): number | undefined {
  const parts = [...duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.map((p) => p[0]).join("") !== duration || parts.length === 0) return undefined;
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 } as const;
  return parts.reduce((sum, [, n, u]) => sum + Number(n) * unit[u as keyof typeof unit], 0);
}

/** node:<major>… of a line in SUPPORTED_NODE_MAJORS; a digest is taken on trust. */
function isSupportedNode(image: string): boolean {
  if (image.includes("@sha256:")) return true;
  const major = /:(\d+)/.exec(image)?.[1];
  return major !== undefined && SUPPORTED_NODE_MAJORS.includes(Number(major));
}

/** A tag (or digest) that names a release: not missing, not `latest`, with a version number in it. */
function isPinned(image: string): boolean {
  if (image.includes("@sha256:")) return true;
  const tag = /:([^/:]+)$/.exec(image)?.[1];
  return tag !== undefined && tag !== "latest" && /\d/.test(tag);
}

describe("the generated Dockerfile", () => {
  let dir: string;
  let dockerfile: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "dockerfile-test-"));
    await generate(
      testAnswers({ subscribe: ["a.b"], reply: ["c.d"] }),
      join(dir, "svc"),
    );
    dockerfile = readFileSync(join(dir, "svc", "Dockerfile"), "utf8");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("passes the linter and every rule", () => {
    expect(validate(dockerfile)).toEqual([]);
    expect(dockerfileProblems(dockerfile)).toEqual([]);
  });

  it("builds in one stage and runs the bundles, health probe included, in another", () => {
    const froms = DockerfileParser.parse(dockerfile).getFROMs();
    expect(froms.map((f) => f.getBuildStage())).toEqual(["build", "runtime"]);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/dist\/ \.\/dist\/$/m);
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    expect(dockerfile).toMatch(/^\s*CMD \["node", "dist\/health\.mjs"\]$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "--enable-source-maps", "dist\/main\.mjs"\]$/m);
  });
});

/** What each manager's Dockerfile must say, written out here rather than read from the table it tests. */
const PER_MANAGER: Record<PackageManager, { copy: string; tool?: string; install: string; build: string; ignored: string[] }> = {
  npm: { copy: "package.json package-lock.json", install: "npm ci --no-audit --no-fund", build: "npm run build", ignored: [] },
  pnpm: { copy: "package.json pnpm-lock.yaml pnpm-workspace.yaml", tool: "pnpm@12", install: "pnpm install --frozen-lockfile", build: "pnpm build", ignored: [] },
  yarn: {
    copy: "package.json yarn.lock .yarnrc.yml",
    tool: "yarn@1",
    install: "yarn install --frozen-lockfile",
    build: "yarn build",
    ignored: [".yarn/install-state.gz", ".yarn/cache/"],
  },
  bun: { copy: "package.json bun.lock", tool: "bun@1", install: "bun install --frozen-lockfile", build: "bun run build", ignored: [] },
};

describe.each(PACKAGE_MANAGERS)("the Dockerfile of a %s project", (pm) => {
  const expected = PER_MANAGER[pm];
  let dir: string;
  let project: string;
  let dockerfile: string;
  const read = (file: string) => readFileSync(join(project, file), "utf8");
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `dockerfile-${pm}-test-`));
    project = join(dir, "svc");
    await generate(testAnswers({ packageManager: pm }), project);
    dockerfile = read("Dockerfile");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("passes the linter and every rule", () => {
    expect(dockerfileProblems(dockerfile)).toEqual([]);
  });

  it(`copies ${expected.copy}, installs with ${expected.install} and builds with ${expected.build}`, () => {
    const runs = DockerfileParser.parse(dockerfile)
      .getInstructions()
      .filter((i) => /^(RUN|COPY)$/.test(i.getKeyword()))
      .map((i) => `${i.getKeyword()} ${i.getArgumentsContent() ?? ""}`);
    // The build stage, in order: the manager (not npm: every node image has it), the manifests, the install, the rest, the build.
    expect(runs.slice(0, runs.indexOf("COPY . .") + 2)).toEqual([
      ...(expected.tool ? [`RUN npm install -g --force --no-audit --no-fund ${expected.tool}`] : []),
      `COPY ${expected.copy} ./`,
      `RUN ${expected.install}`,
      "COPY . .",
      `RUN ${expected.build}`,
    ]);
    // Each file the install reads is in the project (the lockfile once installed), and in the build context.
    const copied = expected.copy.split(" ").filter((file) => file !== packageManagerFacts(pm).lockfile);
    for (const file of copied) expect(existsSync(join(project, file)), file).toBe(true);
    const dockerignore = read(".dockerignore").split("\n");
    for (const file of expected.copy.split(" ")) expect(dockerignore).not.toContain(file);
    if (pm !== "npm") expect(dockerfile).not.toMatch(/npm ci|package-lock/);
  });

  it(`keeps ${expected.ignored.join(", ") || "nothing of the manager's own"} out of git and the image`, () => {
    for (const ignore of [".gitignore", ".dockerignore"]) {
      const lines = read(ignore).split("\n").filter((line) => line && !line.startsWith("#"));
      expect(lines.filter((line) => line.startsWith(".yarn")), ignore).toEqual(expected.ignored);
      expect(read(ignore), ignore).not.toMatch(/{{|&#/);
    }
  });

  it("has a README whose Docker section and notes name this manager's lockfile, install and pin", () => {
    const readme = read("README.md");
    const docker = readme.slice(readme.indexOf("## Docker"), readme.indexOf("## Compose"));
    expect(docker).toContain(`\`${packageManagerFacts(pm).lockfile}\``);
    expect(docker).toContain(`\`${expected.install}\``);
    if (expected.tool) expect(docker).toContain(`npm install -g ${expected.tool}`);
    else expect(docker).not.toMatch(/npm install -g/);
    // Generated without knowing the manager's version: the README says what the image assumes.
    expect(docker.includes("version was unknown"), "the unknown-version note").toBe(pm !== "npm");
    if (pm !== "npm") expect(docker).not.toMatch(/npm ci|package-lock/);
    const notes = readme.slice(readme.indexOf("## Notes"));
    expect(notes).toContain(packageManagerFacts(pm).pinnedIn);
    expect(readme).not.toMatch(/&#x60;|&amp;|&#x3D;/);
  });
});

describe.each([
  { pm: "pnpm", version: "9.15.0", tool: "pnpm@9.15.0", install: "pnpm install --frozen-lockfile" },
  { pm: "pnpm", version: "12.23.0", tool: "pnpm@12.23.0", install: "pnpm install --frozen-lockfile", unrecorded: true },
  { pm: "yarn", version: "4.5.1", tool: "@yarnpkg/cli-dist@4.5.1", install: "yarn install --immutable" },
  { pm: "yarn", version: "1.22.22", tool: "yarn@1.22.22", install: "yarn install --frozen-lockfile" },
] as const)("a $pm $version project", ({ pm, version, tool, install, ...rest }) => {
  const recorded = !("unrecorded" in rest);
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `manager-version-test-`));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`${recorded ? "records its manager's version as packageManager" : "names its manager's version in the Dockerfile only"}, and the image installs exactly that`, async () => {
    const project = join(dir, "svc");
    await generate(testAnswers({ packageManager: pm }), project, { packageManagerVersion: version });
    const pkg = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { packageManager?: string };
    expect(pkg.packageManager).toBe(recorded ? `${pm}@${version}` : undefined);
    const dockerfile = readFileSync(join(project, "Dockerfile"), "utf8");
    expect(dockerfileProblems(dockerfile)).toEqual([]);
    expect(dockerfile).toContain(`RUN npm install -g --force --no-audit --no-fund ${tool}\n`);
    expect(dockerfile).toContain(`RUN ${install}\n`);
    const readme = readFileSync(join(project, "README.md"), "utf8");
    expect(readme).toContain(`npm install -g ${tool}`);
    expect(readme).toContain(recorded ? `\`${pm}@${version}\`` : `(${version}): another major version`);
  });
});

describe("a local runtime (--runtime <tarball or directory>)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "vendor-test-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const answers = (runtime: string): Answers => testAnswers({ runtime });
  const dependency = (project: string) =>
    (JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["telestion-runtime"];

  it("is copied into vendor/, referenced relatively, and copied by the Dockerfile before npm ci", async () => {
    const tarball = join(dir, "telestion-runtime-9.8.7.tgz");
    writeFileSync(tarball, "not really a tarball");
    const project = join(dir, "from-tarball");
    const files = await generate(answers(`file:${tarball}`), project);

    expect(files).toContain("vendor/telestion-runtime-9.8.7.tgz");
    expect(readFileSync(join(project, "vendor", "telestion-runtime-9.8.7.tgz"), "utf8")).toBe("not really a tarball");
    expect(dependency(project)).toBe("file:vendor/telestion-runtime-9.8.7.tgz");
    const text = readFileSync(join(project, "Dockerfile"), "utf8");
    expect(text).toMatch(/^COPY package\.json package-lock\.json \.\/\n(?:#.*\n)*COPY vendor\/ \.\/vendor\/\n(?:#.*\n)*RUN npm ci /m);
    expect(dockerfileProblems(text)).toEqual([]);
    // Neither ignored by git (it must survive a clone) nor kept out of the build context.
    for (const ignore of [".gitignore", ".dockerignore"]) expect(readFileSync(join(project, ignore), "utf8")).not.toMatch(/^\/?vendor/m);
  });

  it("is packed into vendor/ with npm pack when it is a directory", async () => {
    const pkg = join(dir, "runtime-dir");
    mkdirSync(pkg);
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "telestion-runtime", version: "1.2.3", files: ["index.js"] }));
    writeFileSync(join(pkg, "index.js"), "export {};\n");
    const project = join(dir, "from-directory");
    await generate(answers(`file:${pkg}`), project);

    expect(readdirSync(join(project, "vendor"))).toEqual(["telestion-runtime-1.2.3.tgz"]);
    expect(dependency(project)).toBe("file:vendor/telestion-runtime-1.2.3.tgz");
  }, 60_000);

  it("that npm cannot pack is one line naming the folder, and nothing is written", async () => {
    const empty = join(dir, "no-package");
    mkdirSync(empty);
    const project = join(dir, "from-nothing");
    const failure = generate(answers(`file:${empty}`), project);
    await expect(failure).rejects.toBeInstanceOf(UserError);
    await expect(failure).rejects.toThrow(new RegExp(`^could not pack the runtime in ${empty} with npm pack \\([^\\n]+\\); pack it yourself`));
    expect(existsSync(project)).toBe(false);
  }, 60_000);

  it("is left alone when it comes from a registry: no vendor/, no COPY of it", async () => {
    const project = join(dir, "from-registry");
    const files = await generate(answers("^0.1.0"), project);
    expect(files.filter((f) => f.startsWith("vendor/"))).toEqual([]);
    expect(dependency(project)).toBe("^0.1.0");
    expect(readFileSync(join(project, "Dockerfile"), "utf8")).not.toMatch(/vendor/);
  });
});

describe("the rule checker finds what the linter misses", () => {
  const good = [
    "ARG NODE_IMAGE=node:24.22-bookworm-slim",
    "FROM ${NODE_IMAGE} AS build",
    "RUN npm ci --no-audit --no-fund",
    "FROM ${NODE_IMAGE} AS runtime",
    "ENV DATA_DIR=/data",
    "COPY --from=build /app/dist/ ./dist/",
    "VOLUME /data",
    "USER node",
    'HEALTHCHECK --interval=5s CMD ["node", "dist/health.mjs"]',
    'ENTRYPOINT ["node", "dist/main.mjs"]',
  ];
  const replace = (from: string, to: string) => good.map((line) => (line === from ? to : line)).join("\n");

  it("accepts the minimal good file", () => {
    expect(dockerfileProblems(good.join("\n"))).toEqual([]);
  });

  it.each([
    ["an unknown --from stage", "COPY --from=build /app/dist/ ./dist/", "COPY --from=builder /app/dist/ ./dist/", /no such stage/],
    ["a shell-form ENTRYPOINT", 'ENTRYPOINT ["node", "dist/main.mjs"]', "ENTRYPOINT node dist/main.mjs", /exec form/],
    ["no HEALTHCHECK", 'HEALTHCHECK --interval=5s CMD ["node", "dist/health.mjs"]', "", /no HEALTHCHECK/],
    ["a healthy state only after 30 s", 'HEALTHCHECK --interval=5s CMD ["node", "dist/health.mjs"]', 'HEALTHCHECK CMD ["node", "dist/health.mjs"]', /--interval=30s/],
    ["a flag old engines reject", 'HEALTHCHECK --interval=5s CMD ["node", "dist/health.mjs"]', 'HEALTHCHECK --interval=30s --start-interval=1s CMD ["node", "dist/health.mjs"]', /--start-interval/],
    ["a frontend from Docker Hub", "ARG NODE_IMAGE=node:24.22-bookworm-slim", "# syntax=docker/dockerfile:1\nARG NODE_IMAGE=node:24.22-bookworm-slim", /Docker Hub/],
    ["a Node.js line past its end of life", "ARG NODE_IMAGE=node:24.22-bookworm-slim", "ARG NODE_IMAGE=node:20.20-bookworm-slim", /not a supported Node.js LTS line/],
    ["running as root", "USER node", "USER root", /runs as root/],
    ["no USER", "USER node", "", /runs as root \(no USER\)/],
    ["an unpinned base image", "ARG NODE_IMAGE=node:24.22-bookworm-slim", "ARG NODE_IMAGE=node:latest", /not a pinned tag/],
    ["a base image without ARG", "FROM ${NODE_IMAGE} AS runtime", "FROM node:24.22-bookworm-slim AS runtime", /build argument/],
    ["DATA_DIR not on a volume", "VOLUME /data", "VOLUME /srv", /not a VOLUME/],
    ["a baked-in password", "ENV DATA_DIR=/data", "ENV DATA_DIR=/data NATS_PASSWORD=hunter2", /NATS_PASSWORD/],
    ["a password build argument", "RUN npm ci --no-audit --no-fund", "ARG NATS_PASSWORD\nRUN npm ci --no-audit --no-fund", /NATS_PASSWORD/],
    ["npm install instead of npm ci", "RUN npm ci --no-audit --no-fund", "RUN npm install", /not installed from the lockfile/],
    ["pnpm install without --frozen-lockfile", "RUN npm ci --no-audit --no-fund", "RUN pnpm install", /not installed from the lockfile/],
    ["an unknown instruction (the linter's part)", "RUN npm ci --no-audit --no-fund", "RUN npm ci --no-audit --no-fund\nRUNN true", /Unknown instruction/],
  ])("rejects %s", (_case, from, to, problem) => {
    expect(dockerfileProblems(replace(from, to))).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
  });

  it("rejects a single stage", () => {
    const single = good.filter((line) => !line.includes("AS build") && !line.startsWith("COPY --from")).join("\n");
    expect(dockerfileProblems(single)).toEqual(expect.arrayContaining([expect.stringMatching(/not multi-stage/)]));
  });
});
