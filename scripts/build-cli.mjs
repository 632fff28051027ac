// Bundles the CLI into dist/ (as create-vite ships its CLI): one file to load instead of hundreds,
// which is most of the start-up time of `npm create telestion-service`. The code that only some runs
// need (the questions, the generator with Handlebars) stays in chunks loaded on demand.
import { build } from "esbuild";
import Handlebars from "handlebars";
import ts from "typescript";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// As generators/templates.ts compiles them from the source (see there).
const COMPILE_OPTIONS = { knownHelpers: { json: true }, knownHelpersOnly: true, data: false };
const templatesDir = fileURLToPath(new URL("../templates", import.meta.url));
const handlersSource = fileURLToPath(new URL("../generators/handlers.ts", import.meta.url));

/**
 * generators/prebuilt.ts with everything a run would otherwise read or make: each template of
 * templates/ precompiled (or its text, when it has no placeholders: written verbatim), the text of the
 * handler templates (the project's own plop templates), and generators/handlers.ts compiled to
 * JavaScript as generators/handlers-module.ts does it from the source.
 */
function prebuilt() {
  const files = readdirSync(templatesDir, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".hbs"));
  const templates = files.map((file) => {
    const text = readFileSync(join(templatesDir, file), "utf8");
    return `    ${JSON.stringify(file.split("\\").join("/"))}: ${text.includes("{{") ? Handlebars.precompile(text, COMPILE_OPTIONS) : JSON.stringify(text)},`;
  });
  // The handler templates are copied into each project as its plop templates: their text, too.
  const sources = files
    .filter((file) => file.split("\\").join("/").startsWith("service/handler/"))
    .map((file) => `    ${JSON.stringify(file.split("\\").join("/"))}: ${JSON.stringify(readFileSync(join(templatesDir, file), "utf8"))},`);
  const options = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext };
  const handlersModule = ts.transpileModule(readFileSync(handlersSource, "utf8"), { compilerOptions: options }).outputText;
  return `export const PREBUILT = {\n  templates: {\n${templates.join("\n")}\n  },\n  sources: {\n${sources.join("\n")}\n  },\n  handlersModule: ${JSON.stringify(handlersModule)},\n};\n`;
}

// Chunk names carry content hashes: start from an empty dist/ so that no stale chunk ships.
rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });

await build({
  entryPoints: { cli: "src/cli.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  // Less to parse at every start; the linked source maps keep stack traces readable.
  minify: true,
  // CommonJS dependencies (prompts, Handlebars) require Node built-ins: give the ESM bundle a require.
  banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
  plugins: [
    {
      name: "prebuilt",
      setup(b) {
        b.onLoad({ filter: /[\\/]generators[\\/]prebuilt\.ts$/ }, () => ({ contents: prebuilt(), loader: "js" }));
      },
    },
  ],
  logLevel: "warning",
});
