// TemplateSpecification is a global type of the handlebars typings.

/**
 * Handlebars templates compiled ahead of time, keyed by their path below templates/. Empty in the
 * source: the CLI bundle (scripts/build-cli.mjs) replaces this module with every template
 * precompiled, so that a run of the published CLI compiles none.
 */
export const PRECOMPILED: Readonly<Record<string, TemplateSpecification>> = {};
