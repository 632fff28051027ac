import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type Handlebars from "handlebars";
import runtimeModule from "handlebars/runtime.js";
import { listFiles } from "./list-files.js";
import { packageRoot } from "./package-root.js";
import { PREBUILT } from "./prebuilt.js";

/**
 * Handlebars' runtime, typed as Handlebars. Its typings declare that only for "handlebars/runtime",
 * which Node's own resolution cannot find (the package has no exports map), hence the file name.
 */
const HandlebarsRuntime = runtimeModule as unknown as typeof Handlebars;

/** One template: its path below its folder, and the text it gives for some data. */
export interface Template {
  file: string;
  render: (data: object) => string;
}

export const TEMPLATES_ROOT = join(packageRoot(), "templates");

/**
 * How the templates are compiled, here and in scripts/build-cli.mjs alike. They use only built-in
 * helpers and `json`: declared known, each placeholder compiles to a plain lookup instead of a check
 * for a helper of that name (a project's first render ~15 % faster, the bundle ~8 KB smaller). No @data.
 */
export const COMPILE_OPTIONS = { knownHelpers: { json: true }, knownHelpersOnly: true, data: false };

/** The templates' one helper; otherwise plain Handlebars with its default escaping. */
function withHelpers(handlebars: typeof HandlebarsRuntime): typeof HandlebarsRuntime {
  const instance = handlebars.create();
  instance.registerHelper("json", (value: unknown) => JSON.stringify(value));
  return instance;
}

/** Handlebars' runtime: all that precompiled templates need, a fraction of the full library to load. */
const runtime = withHelpers(HandlebarsRuntime);
/** The full Handlebars, with its compiler: loaded only when running from the source. */
let compiler: typeof HandlebarsRuntime | undefined;

/**
 * The templates below `folder` (e.g. "service/project", relative to templates/), sorted. A template
 * without placeholders gives its text as it is, never through Handlebars. The CLI bundle carries every
 * template (precompiled, or as text when it has no placeholders), so a run reads and compiles none;
 * from the source (tests, tsx) each is read and compiled here.
 */
export function templatesIn(folder: string): Template[] {
  if (PREBUILT) {
    const prefix = `${folder}/`;
    return Object.entries(PREBUILT.templates)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, template]) => ({
        file: key.slice(prefix.length),
        render: typeof template === "string" ? () => template : runtime.template(template),
      }))
      .sort((a, b) => (a.file < b.file ? -1 : 1));
  }
  return listFiles(join(TEMPLATES_ROOT, folder)).map((file) => {
    const text = readFileSync(join(TEMPLATES_ROOT, folder, file), "utf8");
    if (!text.includes("{{")) return { file, render: () => text };
    compiler ??= withHelpers(createRequire(import.meta.url)("handlebars") as typeof HandlebarsRuntime);
    return { file, render: compiler.compile(text, COMPILE_OPTIONS) };
  });
}

/** A template's own text, for the project's plop templates (which stay templates). */
export function templateSource(folder: string, file: string): string {
  return PREBUILT?.sources[`${folder}/${file}`] ?? readFileSync(join(TEMPLATES_ROOT, folder, file), "utf8");
}
