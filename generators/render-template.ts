import { readFileSync } from "node:fs";
import { relative } from "node:path";
import Handlebars from "handlebars";
import { PRECOMPILED } from "./precompiled-templates.js";

/** The Handlebars the templates are rendered with: default escaping, and the one helper they use. */
const handlebars = Handlebars.create();
handlebars.registerHelper("json", (value: unknown) => JSON.stringify(value));

/**
 * Renders the template file `file` (below `templatesDir`) with `data`. The CLI bundle carries every
 * template precompiled; from the source (tests, tsx) the file is read and compiled here.
 */
export function renderTemplate(templatesDir: string, file: string, data: object): string {
  const key = relative(templatesDir, file).split("\\").join("/");
  const spec = PRECOMPILED[key];
  const template = spec ? handlebars.template(spec) : handlebars.compile(readFileSync(file, "utf8"));
  return template(data);
}
