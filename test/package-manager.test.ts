import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  PACKAGE_MANAGERS,
  PLOP,
  detectPackageManager,
  generateScript,
  imageInstall,
  installCommand,
  isPackageManager,
  packageManagerFacts,
  packageManagerTemplateData,
  runCommand,
  userAgentVersion,
  workspaceImageInstall,
  type PackageManager,
} from "../generators/package-manager.js";

describe("detectPackageManager", () => {
  it.each([
    ["npm/10.8.2 node/v20.20.2 linux x64 workspaces/false", "npm"],
    ["pnpm/9.1.0 npm/? node/v20.11.0 linux x64", "pnpm"],
    ["yarn/1.22.22 npm/? node/v20.11.0 darwin arm64", "yarn"],
    ["yarn/4.1.1 npm/? node/v20.11.0 linux x64", "yarn"],
    ["bun/1.1.8 npm/? node/v21.6.0 linux x64", "bun"],
  ])("reads %s as %s", (userAgent, expected) => {
    expect(detectPackageManager(userAgent)).toBe(expected);
  });

  it.each([[undefined], [""], ["   "], ["cnpm/9.0.0 node/v20"], ["deno/1.40 npm/?"], ["garbage"]])(
    "falls back to npm for %j",
    (userAgent) => {
      expect(detectPackageManager(userAgent)).toBe("npm");
    },
  );
});

describe("commands", () => {
  it("installs with each manager's own install command", () => {
    expect(installCommand("npm")).toEqual(["npm", "install"]);
    expect(installCommand("pnpm")).toEqual(["pnpm", "install"]);
    expect(installCommand("yarn")).toEqual(["yarn", "install"]);
    expect(installCommand("bun")).toEqual(["bun", "install"]);
  });

  it("runs scripts the way each manager's users type them", () => {
    expect(runCommand("npm", "dev")).toEqual(["npm", "run", "dev"]);
    expect(runCommand("pnpm", "dev")).toEqual(["pnpm", "dev"]);
    expect(runCommand("yarn", "dev")).toEqual(["yarn", "dev"]);
    expect(runCommand("bun", "dev")).toEqual(["bun", "run", "dev"]);
  });

  it("hands out copies, so a caller cannot change the table", () => {
    installCommand("npm").push("--force");
    expect(installCommand("npm")).toEqual(["npm", "install"]);
  });

  it("knows exactly the four managers", () => {
    expect(["npm", "pnpm", "yarn", "bun"].every(isPackageManager)).toBe(true);
    expect(isPackageManager("cnpm")).toBe(false);
    expect(isPackageManager("NPM")).toBe(false);
  });
});

describe("what each manager needs in the generated project", () => {
  it("passes arguments to a script: npm needs --, the others do not", () => {
    expect(runCommand("npm", "generate", "reply", "x")).toEqual(["npm", "run", "generate", "--", "reply", "x"]);
    expect(runCommand("pnpm", "generate", "reply", "x")).toEqual(["pnpm", "generate", "reply", "x"]);
    expect(runCommand("yarn", "generate", "reply", "x")).toEqual(["yarn", "generate", "reply", "x"]);
    expect(runCommand("bun", "generate", "reply", "x")).toEqual(["bun", "run", "generate", "reply", "x"]);
  });

  it("writes the vite pin and the allowed esbuild script in each manager's own words", () => {
    expect(packageManagerFacts("npm").packageJson).toEqual({ overrides: { vite: "~8.3.8" }, allowScripts: { esbuild: true } });
    expect(packageManagerFacts("yarn").packageJson).toEqual({ resolutions: { vite: "~8.3.8" }, dependenciesMeta: { esbuild: { built: true } } });
    expect(packageManagerFacts("bun").packageJson).toEqual({ overrides: { vite: "~8.3.8" }, trustedDependencies: ["esbuild"] });
    // pnpm 11+ reads none of package.json's "pnpm" field: everything goes to pnpm-workspace.yaml.
    expect(packageManagerFacts("pnpm").packageJson).toEqual({});
    expect(parse(packageManagerFacts("pnpm").files["pnpm-workspace.yaml"]!)).toEqual({
      packages: ["."],
      overrides: { vite: "~8.3.8" },
      allowBuilds: { esbuild: true },
      onlyBuiltDependencies: ["esbuild"],
    });
    expect(parse(packageManagerFacts("yarn").files[".yarnrc.yml"]!)).toEqual({ nodeLinker: "node-modules" });
    for (const pm of ["npm", "bun"] as const) expect(packageManagerFacts(pm).files).toEqual({});
  });

  it("names each lockfile and how to run a dependency's binary", () => {
    expect(PACKAGE_MANAGERS.map((pm) => packageManagerFacts(pm).lockfile)).toEqual(["package-lock.json", "pnpm-lock.yaml", "yarn.lock", "bun.lock"]);
    expect(PACKAGE_MANAGERS.map((pm) => packageManagerFacts(pm).exec.join(" "))).toEqual(["npx", "pnpm exec", "yarn", "bunx"]);
  });

  it("says where the vite pin is, and that is where it is", () => {
    for (const pm of PACKAGE_MANAGERS) {
      const facts = packageManagerFacts(pm);
      const [, field, file] = /^`(\w+)` in `([^`]+)`$/.exec(facts.pinnedIn) ?? [];
      const settings = file === "package.json" ? facts.packageJson : (parse(facts.files[file!] ?? "") as Record<string, unknown>);
      expect(settings[field!], `${pm}: ${facts.pinnedIn}`).toEqual({ vite: "~8.3.8" });
    }
  });

  it("installs the manager in the image from the npm registry, in the version that created the project, and installs frozen", () => {
    expect(PACKAGE_MANAGERS.map((pm) => imageInstall(pm, "9.15.0").tool)).toEqual(["", "pnpm@9.15.0", "@yarnpkg/cli-dist@9.15.0", "bun@9.15.0"]);
    // Unknown version: the major version this generator is tested with.
    expect(PACKAGE_MANAGERS.map((pm) => imageInstall(pm).tool)).toEqual(["", "pnpm@12", "yarn@1", "bun@1"]);
    expect(PACKAGE_MANAGERS.map((pm) => imageInstall(pm).frozenInstall.join(" "))).toEqual([
      "npm ci --no-audit --no-fund",
      "pnpm install --frozen-lockfile",
      "yarn install --frozen-lockfile",
      "bun install --frozen-lockfile",
    ]);
    // yarn 1 and yarn 4 are other packages with other flags (yarn 4 stops at --frozen-lockfile).
    expect(imageInstall("yarn", "1.22.22")).toEqual({ tool: "yarn@1.22.22", frozenInstall: ["yarn", "install", "--frozen-lockfile"] });
    expect(imageInstall("yarn", "4.5.1")).toEqual({ tool: "@yarnpkg/cli-dist@4.5.1", frozenInstall: ["yarn", "install", "--immutable"] });
  });

  it("installs one service of a --project in its image: filtered frozen installs, yarn 2+ by workspaces focus", () => {
    expect(PACKAGE_MANAGERS.map((pm) => workspaceImageInstall(pm, "services/a", "@ground/a").join(" "))).toEqual([
      "npm ci --no-audit --no-fund --workspace services/a",
      "pnpm install --frozen-lockfile --filter ./services/a",
      "yarn install --frozen-lockfile",
      "bun install --frozen-lockfile --filter ./services/a",
    ]);
    expect(workspaceImageInstall("yarn", "services/a", "@ground/a", "1.22.22").join(" ")).toBe("yarn install --frozen-lockfile");
    // yarn 4's install --immutable refuses the other services' folders, which the image does not have.
    expect(workspaceImageInstall("yarn", "services/a", "@ground/a", "4.5.1").join(" ")).toBe("yarn workspaces focus @ground/a");
  });

  it("records the manager's version as packageManager, from the user agent that launched it", () => {
    expect(userAgentVersion("pnpm", "pnpm/9.1.0 npm/? node/v20.11.0 linux x64")).toBe("9.1.0");
    expect(userAgentVersion("yarn", "pnpm/9.1.0 npm/? node/v20.11.0 linux x64")).toBeUndefined();
    expect(userAgentVersion("bun", "bun/1.1.0-canary.1 npm/? node/v22")).toBe("1.1.0-canary.1");
    expect(userAgentVersion("pnpm", "pnpm/latest npm/?")).toBeUndefined();
    expect(userAgentVersion("pnpm", undefined)).toBeUndefined();

    const fields = (pm: PackageManager, version?: string) =>
      Object.fromEntries(packageManagerTemplateData(pm, version).packageJsonFields.map(({ key, value }) => [key, JSON.parse(value)]));
    expect(fields("pnpm", "9.15.0").packageManager).toBe("pnpm@9.15.0");
    // pnpm 12 would turn the field into a lockfile pin fetched from the registry at every frozen install:
    // only the Dockerfile names the version.
    expect(fields("pnpm", "12.23.0").packageManager).toBeUndefined();
    expect(packageManagerTemplateData("pnpm", "12.23.0")).toMatchObject({ managerVersion: "12.23.0", packageManagerSpec: "", imageTool: "pnpm@12.23.0" });
    expect(packageManagerTemplateData("yarn", "4.5.1")).toMatchObject({
      packageManagerSpec: "yarn@4.5.1",
      imageTool: "@yarnpkg/cli-dist@4.5.1",
      imageInstallCommand: "yarn install --immutable",
    });
    // npm's lockfile is read by any npm since 7: nothing to record; an unknown or malformed version records nothing.
    expect(fields("npm", "11.0.0").packageManager).toBeUndefined();
    expect(fields("pnpm").packageManager).toBeUndefined();
    expect(fields("pnpm", "nine").packageManager).toBeUndefined();
    expect(packageManagerTemplateData("pnpm", "nine").imageTool).toBe("pnpm@12");
  });

  it("gives the templates what the image, the ignore files and the README need", () => {
    expect(packageManagerTemplateData("npm")).toMatchObject({
      packageManager: "npm",
      lockfile: "package-lock.json",
      settingsFiles: "",
      imageManifests: "package.json package-lock.json",
      imageTool: "",
      imageInstallCommand: "npm ci --no-audit --no-fund",
      packageManagerSpec: "",
      ignoredFiles: [],
      pinnedIn: "`overrides` in `package.json`",
    });
    expect(packageManagerTemplateData("pnpm")).toMatchObject({
      settingsFiles: "`pnpm-workspace.yaml`",
      imageManifests: "package.json pnpm-lock.yaml pnpm-workspace.yaml",
      imageTool: "pnpm@12",
    });
    expect(packageManagerTemplateData("yarn")).toMatchObject({
      imageManifests: "package.json yarn.lock .yarnrc.yml",
      ignoredFiles: [".yarn/install-state.gz", ".yarn/cache/"],
    });
    expect(packageManagerTemplateData("bun").imageManifests).toBe("package.json bun.lock");
  });

  it("gives the templates commands and package.json fields that render to valid JSON", () => {
    const data = packageManagerTemplateData("npm");
    expect(data).toMatchObject({ runCommand: "npm run", installCommand: "npm install", generateCommand: "npm run generate --" });
    const fields = data.packageJsonFields.map(({ key, value }) => `  ${JSON.stringify(key)}: ${value}`).join(",\n");
    expect(JSON.parse(`{\n${fields}\n}`)).toEqual(packageManagerFacts("npm").packageJson);
    expect(fields).toContain('  "overrides": {\n    "vite": "~8.3.8"\n  }');
    expect(packageManagerTemplateData("yarn").installCommand).toBe("yarn install");
  });
});

describe("generateScript", () => {
  it("runs the pinned plop fetched on demand by the manager that created the project", () => {
    expect(generateScript("npm")).toBe(`npx --yes --prefer-offline ${PLOP}`);
    expect(generateScript("pnpm", "9.15.0")).toBe(`pnpm dlx ${PLOP}`);
    expect(generateScript("bun")).toBe(`bunx ${PLOP}`);
    // Yarn 1 has no dlx; yarn 2+ does, but only a known version tells them apart.
    expect(generateScript("yarn", "1.22.22")).toBe(`npx --yes --prefer-offline ${PLOP}`);
    expect(generateScript("yarn", "4.5.1")).toBe(`yarn dlx --quiet ${PLOP}`);
    expect(generateScript("yarn")).toBe(`npx --yes --prefer-offline ${PLOP}`);
    expect(packageManagerTemplateData("yarn", "4.5.1")).toMatchObject({ generateScript: `yarn dlx --quiet ${PLOP}`, plop: PLOP });
    expect(packageManagerTemplateData("yarn", "4.5.1").registrySetting).toContain("npmRegistryServer");
  });
});
