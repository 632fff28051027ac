/**
 * The rules of `telestion check`, one object each, in the order they run. Each says what the standard
 * asks (shown with a failure) and measures what the service does. The standard's text is
 * docs.telestion.wuespace.de, "Backend Development / Using other languages".
 */
import { readdirSync } from "node:fs";
import { createInbox } from "@nats-io/transport-node";
import { HEALTH_REPLY_BOUND_MS, HEALTH_SUBJECT, HEALTH_SUBJECTS } from "../../health.js";
import { notAliveReason } from "../../liveness.js";
import { isMicroSubject } from "../../subjects.js";
import { printable } from "../../one-line.js";
import { BODY_CLASSES, concreteSubject } from "./bodies.js";
import { STANDARD_KEYS, type CheckContext, type StandardKey } from "./context.js";
import { askHealth, connectionsOf, describeNoAnswer, serviceSubscriptions, type Subscription } from "./probes.js";
import { secret } from "./nats-server.js";
import { describeExit, exitStatus, exitWithin, seconds, type ServiceRun } from "./service-process.js";

export type Status = "PASS" | "FAIL" | "WARN";

export interface Outcome {
  /** For rules that report several lines (one per body class): the line's own id. */
  id?: string;
  status: Status;
  /** The figure measured, or for a failure what happened. */
  measured: string;
  /** Overrides the rule's own `required` for this line. */
  required?: boolean;
}

export interface Rule {
  id: string;
  /** Whether a FAIL makes the check fail (exit 1). */
  required: boolean;
  /** What the standard asks, shown with a failure. */
  standard: string;
  /** Rules that start their own runs of the service run together with their parallel neighbours. */
  parallel?: boolean;
  /** Rules that need the service's main run; skipped (WARN) when it is not running. */
  needsMainRun?: boolean;
  run(ctx: CheckContext): Promise<Outcome | Outcome[]>;
}

// The other bounds are ctx.boundMs (`--timeout`, 10 s by default: Docker's grace period after SIGTERM):
// for exiting without a variable, for connecting, and for ending after SIGTERM.
/** The service is taken as started once its subscriptions did not change for this long. */
const SETTLE_MS = 1_000;
/** How long after its bodies a crash is still blamed on them: most crash in the first milliseconds. */
const AFTER_BODIES_MS = 300;

const pass = (measured: string): Outcome => ({ status: "PASS", measured });
const fail = (measured: string): Outcome => ({ status: "FAIL", measured });
const warn = (measured: string): Outcome => ({ status: "WARN", measured });

export const RULES: Rule[] = [
  ...STANDARD_KEYS.map(
    (key): Rule => ({
      id: `config.${key}`,
      required: true,
      parallel: true,
      standard: `a service that does not receive ${key} exits with a non-zero code (checked within --timeout)`,
      run: (ctx) => exitsNonZero(ctx, ctx.env({ DATA_DIR: ctx.freshDataDir(`without-${key}`), [key]: undefined }), key),
    }),
  ),
  {
    id: "config.credentials",
    required: true,
    parallel: true,
    standard: "a service whose credentials the server refuses exits with a non-zero code and never prints NATS_PASSWORD",
    async run(ctx) {
      const wrong = `wrong-${secret()}`;
      const run = ctx.start(ctx.env({ NATS_PASSWORD: wrong, DATA_DIR: ctx.freshDataDir("wrong-password") }));
      const exit = await exitWithin(run, ctx.boundMs);
      run.signal("SIGKILL");
      if (run.stdout().includes(wrong) || run.stderr().includes(wrong)) {
        return fail(`printed the password it was given (${exit ? describeExit(exit) : "still running"})`);
      }
      if (!exit) return fail(`still running ${seconds(ctx.boundMs)} after the server refused its password (stopped by the checker)`);
      if (exit.code === 0) return fail(`${describeExit(exit)}: a refused password should be a failure`);
      return pass(`${describeExit(exit)}; the password is not in its output`);
    },
  },
  {
    id: "connects",
    required: true,
    standard: "with all five variables (and SERVICE_ID) the service connects to NATS_URL with NATS_USER and NATS_PASSWORD (checked within --timeout) and keeps running",
    async run(ctx) {
      const run = (ctx.main = ctx.start(ctx.env()));
      const connectedMs = await waitForConnection(ctx, run);
      if (connectedMs === undefined) {
        if (run.exit) return fail(`ended before connecting: ${describeExit(run.exit)}${lastLine(run, ctx)}`);
        return fail(`no connection as user "${ctx.server.service.user}" within ${seconds(ctx.boundMs)}${lastLine(run, ctx)}`);
      }
      await settle(ctx, run);
      // A service that connects and then ends is no service: the later rules would only say "not checked".
      if (run.exit) return fail(`connected after ${seconds(connectedMs)}, then ended: ${describeExit(run.exit)}${lastLine(run, ctx)}`);
      const connections = await connectionsOf(ctx.server.monitorUrl, ctx.server.service.user);
      return pass(`connected after ${seconds(connectedMs)} (${connections.length} connection(s))`);
    },
  },
  {
    id: "health",
    required: true,
    needsMainRun: true,
    standard: `every request on ${HEALTH_SUBJECT} is answered within 0.5 s with JSON {"errors": <number>, "service": SERVICE_ID, "name": SERVICE_NAME}`,
    async run(ctx) {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const answer = await askHealth(ctx.nc, HEALTH_SUBJECT, HEALTH_REPLY_BOUND_MS);
        if (answer.kind !== "reply") return fail(`request ${i + 1} of 5: ${describeNoAnswer(answer, HEALTH_SUBJECT, HEALTH_REPLY_BOUND_MS)}`);
        ctx.healthAnswers = true;
        const problem = healthProblem(answer.data, ctx);
        if (problem) return fail(problem);
        times.push(answer.ms);
      }
      return pass(`5 of 5 requests answered, slowest in ${Math.max(...times).toFixed(1)} ms, with errors, service "${ctx.serviceId}", name "${ctx.serviceName}"`);
    },
  },
  {
    id: "health.dot",
    required: false,
    needsMainRun: true,
    standard: `${HEALTH_SUBJECTS[1]} (the form Telestion's reference library answers too) is answered; the standard asks only for ${HEALTH_SUBJECT}`,
    async run(ctx) {
      const answer = await askHealth(ctx.nc, HEALTH_SUBJECTS[1], HEALTH_REPLY_BOUND_MS);
      if (answer.kind !== "reply") return warn(`not answered: ${describeNoAnswer(answer, HEALTH_SUBJECTS[1], HEALTH_REPLY_BOUND_MS)} (optional)`);
      return pass(`answered in ${answer.ms.toFixed(1)} ms`);
    },
  },
  {
    id: "queue-groups",
    required: true,
    needsMainRun: true,
    standard:
      "a subscription in a queue group uses SERVICE_NAME or a name derived from it (SERVICE_NAME-… or SERVICE_NAME.…), " +
      "so that the instances of this service, and no other, share its messages; a subscription without one is fine",
    async run(ctx) {
      // NATS micro discovery ($SRV.PING/INFO/STATS) is answered by every instance, outside any queue group.
      const subs = serviceSubscriptions(await connectionsOf(ctx.server.monitorUrl, ctx.server.service.user)).filter((s) => !isMicroSubject(s.subject));
      ctx.subjects = [...new Set(subs.map((s) => s.subject))];
      if (subs.length === 0) return warn("no subscriptions outside __telestion__: nothing to check, and no subject to send bodies to");
      // The standard: queue groups "if you want to use this feature", then named by SERVICE_NAME. State every
      // instance must keep subscribes without one; a group of another name would share messages with strangers.
      const derived = (group: string) => group === ctx.serviceName || group.startsWith(`${ctx.serviceName}-`) || group.startsWith(`${ctx.serviceName}.`);
      const foreign = subs.filter((s) => s.qgroup !== undefined && !derived(s.qgroup));
      const list = (some: Subscription[]) => some.map((s) => `${printable(s.subject, 80)}${s.qgroup === undefined ? " (no queue group)" : s.qgroup === ctx.serviceName ? "" : ` (queue group "${printable(s.qgroup, 40)}")`}`).join(", ");
      if (foreign.length > 0) {
        return fail(`${foreign.length} of ${subs.length} in a queue group not named by SERVICE_NAME "${ctx.serviceName}": ${list(foreign)}`);
      }
      const ungrouped = subs.filter((s) => s.qgroup === undefined).length;
      const remark = ungrouped === 0 ? "all in queue groups of SERVICE_NAME" : `${ungrouped} without a queue group (every instance gets those messages), the rest in queue groups of SERVICE_NAME`;
      return pass(`${subs.length} subscription(s), ${ungrouped === subs.length ? "none in a queue group (every instance gets every message)" : remark}: ${list(subs)}`);
    },
  },
  {
    id: "bodies",
    required: true,
    needsMainRun: true,
    standard: "a service handles any body without crashing (JSON-encoded UTF-8 strings and binary data): after each class it still runs and answers health within 0.5 s",
    run: sendBodies,
  },
  {
    id: "shutdown",
    required: true,
    needsMainRun: true,
    standard: "SIGTERM ends the service within --timeout (docker stop waits 10 s); any exit code",
    async run(ctx) {
      const run = ctx.main!;
      const sentAt = performance.now();
      run.signal("SIGTERM");
      const exit = await exitWithin(run, ctx.boundMs);
      if (!exit) {
        run.signal("SIGKILL");
        return fail(`still running ${seconds(ctx.boundMs)} after SIGTERM (killed)`);
      }
      return pass(`${exitStatus(exit)} ${seconds(performance.now() - sentAt)} after SIGTERM`);
    },
  },
  {
    id: "data-dir",
    required: false,
    standard: "DATA_DIR is shared between services: a service keeps its data in a subdirectory of its own",
    async run(ctx) {
      const entries = readdirSync(ctx.dataDir, { withFileTypes: true });
      const loose = entries.filter((entry) => !entry.isDirectory()).map((entry) => printable(entry.name, 60));
      const dirs = entries.filter((entry) => entry.isDirectory()).map((entry) => `${printable(entry.name, 60)}/`);
      if (loose.length > 0) return warn(`wrote ${loose.length} file(s) straight into DATA_DIR: ${loose.slice(0, 5).join(", ")}`);
      return pass(dirs.length > 0 ? `wrote into ${dirs.join(", ")} only` : "wrote nothing into DATA_DIR");
    },
  },
  {
    id: "output",
    required: false,
    standard: "a service writes its feedback to stdout and stderr",
    async run(ctx) {
      const run = ctx.main;
      if (!run) return warn("not checked: the service did not run");
      if ([run.stdout(), run.stderr()].some((text) => text.includes(ctx.server.service.password))) {
        return { status: "FAIL", measured: "printed NATS_PASSWORD, which must stay secret", required: true };
      }
      const figure = `stdout ${lines(run.stdout())} line(s), stderr ${lines(run.stderr())} line(s)`;
      return run.stdout() || run.stderr() ? pass(figure) : warn(`${figure}: nothing to tell an operator what it does`);
    },
  },
];

/** One configuration run: the service must exit non-zero within the bound. */
async function exitsNonZero(ctx: CheckContext, env: NodeJS.ProcessEnv, key: StandardKey): Promise<Outcome> {
  const run = ctx.start(env);
  const exit = await exitWithin(run, ctx.boundMs);
  run.signal("SIGKILL"); // whatever it started is gone too
  if (exit && exit.code !== 0) return pass(`${describeExit(exit)} without ${key}`);
  const what = exit ? `${describeExit(exit)} without ${key}` : `still running ${seconds(ctx.boundMs)} after starting without ${key} (stopped by the checker)`;
  // A .env file is one of the ways a service may receive its configuration: then this run proves nothing.
  if (ctx.dotEnvKeys.has(key)) return warn(`not conclusive: ${what} in the environment, but .env in the working directory defines ${key} (run check where there is no .env)`);
  return fail(exit ? `${what}: exit code 0 tells an orchestrator all is well` : what);
}

/** Milliseconds until the service's first connection shows in /connz, or undefined. */
async function waitForConnection(ctx: CheckContext, run: ServiceRun): Promise<number | undefined> {
  while (!run.exit && performance.now() - run.startedAt < ctx.boundMs) {
    if ((await connectionsOf(ctx.server.monitorUrl, ctx.server.service.user)).length > 0) return performance.now() - run.startedAt;
    await sleep(50);
  }
  return undefined;
}

/**
 * Waits until the service looks started: its subscriptions unchanged for a second and (if it has
 * health at all) health answered once, within the connect bound. A service may subscribe a moment
 * after it connects; the later rules read its subscriptions.
 */
async function settle(ctx: CheckContext, run: ServiceRun): Promise<void> {
  const deadline = performance.now() + ctx.boundMs;
  let last = "";
  let stableSince = performance.now();
  let healthy = false;
  while (!run.exit && performance.now() < deadline) {
    // Subjects and groups only (message counts change with every request), sorted (/connz's order varies).
    const connections = await connectionsOf(ctx.server.monitorUrl, ctx.server.service.user);
    const subs = JSON.stringify(connections.flatMap((c) => c.subscriptions.map((s) => `${c.cid} ${s.subject} ${s.qgroup ?? ""}`)).sort());
    if (subs !== last) [last, stableSince] = [subs, performance.now()];
    healthy ||= (await askHealth(ctx.nc, HEALTH_SUBJECT, 200)).kind === "reply";
    const stable = performance.now() - stableSince >= SETTLE_MS;
    // Without health, a few seconds of stable subscriptions have to do.
    if (stable && (healthy || performance.now() - stableSince >= 3 * SETTLE_MS)) return;
    await sleep(100);
  }
}

/** What is wrong with a health reply, or undefined. */
function healthProblem(data: Uint8Array, ctx: CheckContext): string | undefined {
  let report: unknown;
  try {
    report = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(data));
  } catch {
    return `the reply is not JSON (${data.byteLength} bytes)`;
  }
  if (typeof report !== "object" || report === null || Array.isArray(report)) return `the reply is JSON but not an object: ${printable(JSON.stringify(report), 100)}`;
  const { errors, service, name } = report as Record<string, unknown>;
  const got = printable(JSON.stringify({ errors, service, name }), 200);
  if (typeof errors !== "number") return `"errors" is not a number in ${got}`;
  if (service !== ctx.serviceId) return `"service" is not the SERVICE_ID "${ctx.serviceId}" in ${got}`;
  if (name !== ctx.serviceName) return `"name" is not the SERVICE_NAME "${ctx.serviceName}" in ${got}`;
  // Beyond the seed: a reply that says "alive": false (telestion-runtime's does when its main thread is
  // stuck or its own connection is down) is an answer from an instance that does not work.
  const why = notAliveReason(report);
  if (why) return `the reply says the instance is not alive: ${why}`;
  return undefined;
}

/**
 * Each class of bodies to every subscribed subject, as a plain message and as a request (a reply
 * inbox set): then the service must still run and, if it has health, answer it within 0.5 s.
 */
async function sendBodies(ctx: CheckContext): Promise<Outcome[]> {
  const run = ctx.main!;
  if (ctx.subjects.length === 0) return [{ ...warn("not checked: the service subscribes to nothing outside __telestion__") }];
  const subjects = ctx.subjects.map(concreteSubject);
  // Replies are read and dropped: only the service's survival matters here.
  const inbox = createInbox();
  const replies = ctx.nc.subscribe(inbox, { callback: () => {} });
  const outcomes: Outcome[] = [];
  let endedAfter: string | undefined;
  try {
    for (const bodyClass of BODY_CLASSES) {
      const id = `bodies.${bodyClass.id}`;
      if (endedAfter) {
        outcomes.push({ id, ...warn(`not checked: the service ended after the ${endedAfter} bodies`) });
        continue;
      }
      const bodies = bodyClass.bodies(ctx.maxPayload);
      const sentAt = performance.now();
      for (const subject of subjects) {
        for (const body of bodies) {
          ctx.nc.publish(subject, body);
          ctx.nc.publish(subject, body, { reply: inbox });
        }
      }
      await ctx.nc.flush();
      const sent = `${bodies.length * 2} bodies (${bodyClass.label}) to ${subjects.length} subject(s)`;
      const answer = ctx.healthAnswers ? await askHealth(ctx.nc, HEALTH_SUBJECT, HEALTH_REPLY_BOUND_MS) : undefined;
      await sleep(Math.max(0, AFTER_BODIES_MS - (performance.now() - sentAt)));
      if (run.exit) {
        endedAfter = bodyClass.id;
        outcomes.push({ id, ...fail(`${sent}: the service ended (${exitStatus(run.exit)})${lastLine(run, ctx)}`) });
      } else if (answer && answer.kind !== "reply") {
        outcomes.push({ id, ...fail(`${sent}: still running, but health: ${describeNoAnswer(answer, HEALTH_SUBJECT, HEALTH_REPLY_BOUND_MS)}`) });
      } else {
        const health = answer?.kind === "reply" ? `, health in ${answer.ms.toFixed(1)} ms` : " (health not asked: it never answered)";
        outcomes.push({ id, ...pass(`${sent}: still running${health}`) });
      }
    }
  } finally {
    replies.unsubscribe();
  }
  return outcomes;
}

/** `; its last line: …`: what a failing service said, for the report, its password blacked out. */
function lastLine(run: ServiceRun, ctx: CheckContext): string {
  const text = (run.stderr().trim() || run.stdout().trim()).split("\n").pop();
  return text ? `; its last line: ${printable(text.replaceAll(ctx.server.service.password, "<NATS_PASSWORD>"), 200)}` : "";
}

function lines(text: string): number {
  return text === "" ? 0 : text.split("\n").filter(Boolean).length;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
