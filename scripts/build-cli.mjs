// Bundles the CLI into dist/ (as create-vite ships its CLI): one file to load instead of hundreds,
// which is most of the start-up time of `npm create telestion-service`. The code that only some runs
// need (the questions, the generator with node-plop and Handlebars) stays in chunks loaded on demand.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const inquirerStub = fileURLToPath(new URL("../src/inquirer-stub.ts", import.meta.url));

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
  ],
  logLevel: "warning",
});
