import { setTimeout as sleep } from "node:timers/promises";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { BaseConfig } from "./config.js";
import type { RecentErrors } from "./errors.js";
import { startHealthThread, type HealthThread } from "./health-thread.js";
import type { Heartbeat, Liveness } from "./liveness.js";
import type { HandlerLoad, LoadFigures } from "./load.js";
import { oneLine } from "./one-line.js";

/** The seed's subject, and the alias Telestion's reference library answers on. */
export const HEALTH_SUBJECT = "__telestion__/health";
export const HEALTH_SUBJECTS = [HEALTH_SUBJECT, "__telestion__.health"] as const;
/** The seed's bound for a health reply. */
export const HEALTH_REPLY_BOUND_MS = 500;

/**
 * The seed's three fields, then whether the instance is alive (liveness.ts): a reply still goes out when
 * it is not, so that a probe or a tool can say why, and the unhealthy state counts one error meanwhile.
 */
export interface HealthReport extends Liveness {
  /** Errors within the last minute (see errors.ts), plus one while not alive. */
  errors: number;
  /** SERVICE_ID */
  service: string;
  /** SERVICE_NAME */
  name: string;
  /** How busy the handlers are (see load.ts): a drowning service shows as such, not as idle. */
  load: LoadFigures;
}

/** What a health report is made of; a Service is one, and so is what the health thread rebuilds from shared buffers. */
export interface HealthSource {
  errors: RecentErrors;
  load: HandlerLoad;
  heartbeat: Heartbeat;
  serviceId: string;
  serviceName: string;
}

export function healthReport(source: HealthSource): HealthReport {
  const { alive, stalledMs, connected } = source.heartbeat.read();
  return {
    errors: source.errors.recent + (alive ? 0 : 1),
    service: source.serviceId,
    name: source.serviceName,
    alive,
    stalledMs,
    connected,
    load: source.load.read(),
  };
}

const encoder = new TextEncoder();

/**
 * How long after the start the health thread is started. Its start-up takes ~0.1 s of CPU on another
 * core, which on a busy machine slows the service's own start (its main(), its first answers) by ~10 %;
 * the main thread answers meanwhile.
 */
const THREAD_START_DELAY_MS = 200;

/**
 * Answers health requests on both subjects on `nc`. Callback subscriptions answer straight from the
 * socket reader. No queue group: every instance answers, and a probe looks for the one it cares about.
 */
export function answerHealth(nc: NatsConnection, report: () => HealthReport): Subscription[] {
  return HEALTH_SUBJECTS.map((subject) =>
    nc.subscribe(subject, {
      callback: (err, msg) => {
        if (!err) msg.respond(encoder.encode(JSON.stringify(report())));
      },
    }),
  );
}

/** The running health responder of a service; `stop()` ends its thread. */
export interface HealthResponder {
  stop(): Promise<void>;
}

/**
 * Answers health for a service within the seed's 0.5 s also when its main thread is busy: a flood
 * queues on the service's connection (NATS delivers a connection's messages in order) and a handler
 * may block the event loop, so the replies come from a thread of its own with its own connection,
 * which reads the figures from shared buffers (errors.ts, load.ts).
 *
 * Until that thread has subscribed, the main thread answers: a service must answer health as soon as
 * `startService` resolves, and the thread starts only after THREAD_START_DELAY_MS and takes ~0.1 s.
 * If the thread cannot start or ends, the main thread answers (again), and one line on stderr says so.
 */
export function serveHealth(
  nc: NatsConnection,
  source: HealthSource,
  config: BaseConfig,
  notify: (line: string) => void = (line) => console.error(line),
): HealthResponder {
  const report = () => healthReport(source);
  let mainSubs: Subscription[] | undefined = answerHealth(nc, report);
  let stopped = false;
  const stopping = new AbortController();

  const fallBack = (why: string) => {
    if (stopped || nc.isClosed()) return;
    notify(`[telestion] health is answered on the main thread: ${why}`);
    mainSubs ??= answerHealth(nc, report);
  };
  const handOver = async (): Promise<HealthThread | undefined> => {
    const { NATS_URL, NATS_USER, NATS_PASSWORD, SERVICE_NAME, DATA_DIR, NATS_TLS_CA, NATS_TLS_CERT, NATS_TLS_KEY } = config;
    let thread: HealthThread;
    try {
      thread = await startHealthThread({
        nats: { NATS_URL, NATS_USER, NATS_PASSWORD, SERVICE_NAME, DATA_DIR, NATS_TLS_CA, NATS_TLS_CERT, NATS_TLS_KEY },
        serviceId: source.serviceId,
        serviceName: source.serviceName,
        errors: source.errors.buffer,
        load: source.load.buffer,
        heartbeat: source.heartbeat.buffer,
      });
    } catch (err) {
      fallBack(`the health thread did not start (${oneLine(err)})`);
      return undefined;
    }
    if (stopped || nc.isClosed()) {
      await thread.stop();
      return undefined;
    }
    thread.onEnd((why) => fallBack(`the health thread ended (${why})`));
    // The thread's subscriptions are at the server (it flushed before saying ready), so no request falls in between.
    for (const sub of mainSubs ?? []) sub.unsubscribe();
    mainSubs = undefined;
    return thread;
  };
  const starting = nc
    .flush()
    .then(() => sleep(THREAD_START_DELAY_MS, undefined, { ref: false, signal: stopping.signal }))
    .then(handOver, () => undefined);

  return {
    // A thread still starting is waited for (a fraction of a second), so that none outlives stop().
    async stop() {
      stopped = true;
      stopping.abort();
      await (await starting)?.stop();
    },
  };
}
