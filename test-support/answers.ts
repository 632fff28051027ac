import type { Answers } from "../src/answers.js";

/**
 * Complete answers for a project in "svc" without handlers, install or git; a test overrides what it is
 * about. One place, so that a new answer is added to every test's answers at once.
 */
export function testAnswers(overrides: Partial<Answers> = {}): Answers {
  return {
    directory: "svc",
    name: "svc",
    description: "",
    subscribe: [],
    subscribeAll: [],
    reply: [],
    publish: [],
    install: false,
    git: false,
    packageManager: "npm",
    runtime: "^0.1.0",
    ...overrides,
  };
}
