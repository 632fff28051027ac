/**
 * Stands in for `inquirer` in the bundled CLI. node-plop imports inquirer (and with it rxjs) at load
 * time for plopfile prompts, which this generator never uses: its questions are asked with `prompts`.
 * Loading them cost more than everything else the CLI does (bench/ benchmark 1).
 */
const unused = () => {
  throw new Error("create-telestion-service does not ask through plop: its questions use prompts");
};

export default { registerPrompt: () => undefined, prompt: unused, createPromptModule: () => unused };
