import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  PACKAGE_MANAGERS,
  detectPackageManager,
  installCommand,
  isPackageManager,
  packageManagerFacts,
  packageManagerTemplateData,
  runCommand,
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

  it("installs the manager in the image from the npm registry, with a major version, and installs frozen", () => {
    expect(PACKAGE_MANAGERS.map((pm) => packageManagerFacts(pm).image.tool)).toEqual([undefined, "pnpm@12", "yarn@1", "bun@1"]);
    expect(PACKAGE_MANAGERS.map((pm) => packageManagerFacts(pm).image.frozenInstall.join(" "))).toEqual([
      "npm ci --no-audit --no-fund",
      "pnpm install --frozen-lockfile",
      "yarn install --frozen-lockfile",
      "bun install --frozen-lockfile",
    ]);
    // Only yarn's README needs a word of its own: yarn 4 (what corepack gives) cannot use the yarn 1 the image has.
    expect(PACKAGE_MANAGERS.filter((pm) => packageManagerFacts(pm).image.note)).toEqual(["yarn"]);
    expect(packageManagerFacts("yarn").image.note).toMatch(/@yarnpkg\/cli-dist@4.*\n.*--immutable/s);
  });

  it("gives the templates what the image, the ignore files and the README need", () => {
    expect(packageManagerTemplateData("npm")).toMatchObject({
      packageManager: "npm",
      lockfile: "package-lock.json",
      settingsFiles: "",
      imageManifests: "package.json package-lock.json",
      imageTool: "",
      imageInstallCommand: "npm ci --no-audit --no-fund",
      imageNote: "",
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
