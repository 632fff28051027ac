// TemplateSpecification is a global type of the handlebars typings.

/** What the CLI bundle carries ready-made, so that a run of the published CLI compiles nothing. */
export interface Prebuilt {
  /** Every template, by its path below templates/: precompiled, or its text when it has no placeholders. */
  templates: Readonly<Record<string, TemplateSpecification | string>>;
  /** The text of the templates a project gets as templates (service/handler/, its plop-templates/). */
  sources: Readonly<Record<string, string>>;
  /** generators/handlers.ts compiled to JavaScript: the generated project's plop-templates/handlers.js. */
  handlersModule: string;
}

/**
 * undefined in the source (tests, tsx), where templates are compiled and handlers.ts is transpiled on
 * the fly; scripts/build-cli.mjs replaces this module in the bundle with everything made ahead of time.
 */
export const PREBUILT = undefined as Prebuilt | undefined;
