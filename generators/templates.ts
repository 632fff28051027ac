import { readFileSync } from "node:fs";
import { relative } from "node:path";
import Handlebars from "handlebars";
import { PREBUILT } from "./prebuilt.js";

/** The Handlebars the templates are rendered with: default escaping, and the one helper they use. */
const handlebars = Handlebars.create();
handlebars.registerHelper("json", (value: unknown) => JSON.stringify(value));

/**
 * The template file `file` (below `templatesDir`) as a function of its data, or undefined when it has
 * no placeholders: such a file is copied verbatim, never through Handlebars. The CLI bundle carries
 * every template precompiled; from the source (tests, tsx) the file is read and compiled here.
 */
export function compiledTemplate(templatesDir: string, file: string): ((data: object) => string) | undefined {
  if (PREBUILT) {
    const spec = PREBUILT.templates[relative(templatesDir, file).split("\\").join("/")];
    return spec ? handlebars.template(spec) : undefined;
  }
  const text = readFileSync(file, "utf8");
  return text.includes("{{") ? handlebars.compile(text) : undefined;
}
