// Bundles the CLI into dist/ (as create-vite ships its CLI): one file to load instead of hundreds,
// which is most of the start-up time of `npm create telestion-service`. The code that only some runs
// need (the questions, the generator with node-plop and Handlebars) stays in chunks loaded on demand.
import { build } from "esbuild";
import Handlebars from "handlebars";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const inquirerStub = fileURLToPath(new URL("../src/inquirer-stub.ts", import.meta.url));
const templatesDir = fileURLToPath(new URL("../templates", import.meta.url));

/** generators/precompiled-templates.ts with every template of templates/ compiled now, not at each run. */
function precompiledTemplates() {
  const files = readdirSync(templatesDir, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".hbs"));
  const entries = files.map((file) => {
    const key = file.split("\\").join("/");
    return `  ${JSON.stringify(key)}: ${Handlebars.precompile(readFileSync(join(templatesDir, file), "utf8"))},`;
  });
  return `export const PRECOMPILED = {\n${entries.join("\n")}\n};\n`;
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
      name: "inquirer-stub",
      setup(b) {
        b.onResolve({ filter: /^inquirer$/ }, () => ({ path: inquirerStub }));
      },
    },
    {
      name: "precompiled-templates",
      setup(b) {
        b.onLoad({ filter: /[\\/]generators[\\/]precompiled-templates\.ts$/ }, () => ({ contents: precompiledTemplates(), loader: "js" }));
      },
    },
  ],
  logLevel: "warning",
});
