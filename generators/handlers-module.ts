import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { PREBUILT } from "./prebuilt.js";

/**
 * generators/handlers.ts as the JavaScript module a generated project's plopfile imports
 * (plop-templates/handlers.js): one set of naming rules for the generator and `npm run generate`.
 * The CLI bundle carries it compiled (scripts/build-cli.mjs, with the same options); from the source
 * it is compiled here with TypeScript, a devDependency, loaded only on this path.
 */
export function handlersModule(): string {
  if (PREBUILT) return PREBUILT.handlersModule;
  const ts = createRequire(import.meta.url)("typescript") as typeof import("typescript");
  const source = readFileSync(new URL("handlers.ts", import.meta.url), "utf8");
  const options = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext };
  return ts.transpileModule(source, { compilerOptions: options }).outputText;
}
