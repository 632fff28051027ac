import { describe, expect, it } from "vitest";
import { detectPackageManager, installCommand, isPackageManager, runCommand } from "../src/package-manager.js";

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
