import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { errors as natsErrors, headers as natsHeaders, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { resolveConfig, type Config, type ConfigSources } from "./config.js";
import { encodeBody, type Body } from "./encode.js";
import { RecentErrors } from "./errors.js";
import { Publishers, type PublishHandler, type Publisher, type PublisherStats } from "./publisher.js";
import { healthReport, serveHealth, type HealthReport } from "./health.js";
import { logSubject } from "./log.js";
import { Message } from "./message.js";
import { checkDataDir } from "./data-dir.js";
import { HandlerLoad } from "./load.js";
import { aliveFilePath, Heartbeat, startLiveness } from "./liveness.js";
import { connectNats } from "./nats.js";
import { reportConnectionStatus } from "./connection-status.js";
import { answerMicro, servicePackage, type MicroResponder } from "./micro.js";
import type { StandardSchemaV1 } from "./schema.js";
import {
  ERROR_CODE_HEADER,
  ERROR_HEADER,
  Handlers,
  ServiceError,
  type EndpointStats,
  type Handler,
  type HandlerLimits,
  type SubscribeOptions,
} from "./subscribe.js";

export interface StartOptions<Extra = unknown> extends Omit<ConfigSources, "nats"> {
  /** false: run without a NATS connection (`nc` then throws). Default true. */
  nats?: boolean;
  /** A schema (zod, or any Standard Schema library) for the service's own configuration keys. */
  config?: StandardSchemaV1<unknown, Extra>;
  /** Bound for the first connect, in ms (default 5000). */
  connectTimeoutMs?: number;
  /** Each handler's concurrency and pending limits, and the service's pending bytes (see DEFAULT_HANDLER_LIMITS). */
  handlerLimits?: Partial<HandlerLimits>;
  /** How long the main thread may not run before health says the instance is not alive, in ms (default 5000). */
  stallBoundMs?: number;
  /**
   * The service's version and description, for `--version` (runService) and NATS micro discovery.
   * Passed by the caller because a bundle or a single executable has no package.json beside it (the
   * generated main.ts imports its own, which the bundler inlines); without them, discovery reads the
   * package.json nearest the entry script (see micro.ts servicePackage).
   */
  version?: string;
  description?: string;
}

export interface StopOptions {
  /** How long in-flight handlers may take to finish, in ms (default 10000). */
  timeoutMs?: number;
}

export interface PublishOptions {
  headers?: Record<string, string>;
}

export interface RequestOptions extends PublishOptions {
  /** ms to wait for the reply (default 5000). */
  timeoutMs?: number;
}

/** A running service: its configuration, its NATS connection, and the standard's helpers on top. */
export class Service<Extra = unknown> {
  readonly errors = new RecentErrors();
  /** Handler figures shared with the health responder. */
  readonly load = new HandlerLoad();
  readonly #nc: NatsConnection | undefined;
  readonly #handlers: Handlers | undefined;
  readonly #publishers = new Publishers(this.errors);
  readonly #onStop: Array<() => unknown> = [];
  #micro: MicroResponder | undefined;
  #serviceDataDir: string | undefined;
  #stopping: Promise<void> | undefined;

  constructor(
    readonly config: Config<Extra>,
    readonly serviceName: string,
    readonly serviceId: string,
    /** Absolute DATA_DIR, shared between services. */
    readonly dataDir: string,
    nc: NatsConnection | undefined,
    options: Pick<StartOptions, "handlerLimits" | "version" | "description"> = {},
    /** The main thread's heartbeat, shared with the health responder (see liveness.ts). */
    readonly heartbeat: Heartbeat = new Heartbeat(),
  ) {
    this.#nc = nc;
    if (nc) {
      this.#handlers = new Handlers(nc, this.errors, serviceName, this.load, options.handlerLimits);
      void reportConnectionStatus(nc, { notify: (line) => console.error(line), onProblem: () => this.errors.record() });
      // Health answers from a thread of its own (see health.ts); it ends with stop().
      const health = serveHealth(nc, this, config);
      this.#onStop.push(() => health.stop());
      // NATS micro discovery ($SRV.PING/INFO/STATS, see micro.ts) of this instance's reply handlers.
      const handlers = this.#handlers;
      const about = servicePackage(options);
      this.#micro = answerMicro(nc, { serviceName, serviceId, started: new Date(), ...about, endpoints: () => handlers.endpoints() });
    }
    // Beats the heartbeat and keeps the alive file for the --live probe (see liveness.ts); stopped after health.
    const liveness = startLiveness({ heartbeat, nc, file: aliveFilePath(config, serviceName), serviceId, serviceName });
    this.#onStop.push(() => liveness.stop());
  }

  /** The NATS connection; throws when the service was started with `{ nats: false }`. */
  get nc(): NatsConnection {
    if (!this.#nc) throw new Error("NATS is disabled for this service (started with { nats: false }): there is no connection");
    return this.#nc;
  }

  /** The reference library's name for `nc`. */
  get messageBus(): NatsConnection {
    return this.nc;
  }

  /** This service's own folder, DATA_DIR/SERVICE_NAME, created on first use. */
  get serviceDataDir(): string {
    if (this.#serviceDataDir === undefined) {
      const dir = join(this.dataDir, this.serviceName);
      mkdirSync(dir, { recursive: true });
      this.#serviceDataDir = dir;
    }
    return this.#serviceDataDir;
  }

  /** What health requests are answered with. */
  health(): HealthReport {
    return healthReport(this);
  }

  /** Each live handler registration's figures (messages, errors, time), in registration order. */
  endpoints(): EndpointStats[] {
    return this.#handlers?.endpoints() ?? [];
  }

  /** Handles messages on `subject`, in queue group SERVICE_NAME unless told otherwise. */
  subscribe(subject: string, handler: Handler, options?: SubscribeOptions): Subscription {
    return this.#requireHandlers().subscribe(subject, handler, options);
  }

  /** Answers requests on `subject` with what the handler returns (bytes, text, or JSON). */
  reply(subject: string, handler: Handler, options?: SubscribeOptions): Subscription {
    return this.#requireHandlers().reply(subject, handler, options);
  }

  publish(subject: string, body?: Body, options: PublishOptions = {}): void {
    this.nc.publish(subject, encodeBody(body), toPublishOptions(options));
  }

  /** Sends a request and resolves to the reply; rejects with a one-line reason (no responders, timeout, error reply). */
  async request(subject: string, body?: Body, options: RequestOptions = {}): Promise<Message> {
    const timeout = options.timeoutMs ?? 5_000;
    let reply;
    try {
      reply = await this.nc.request(subject, encodeBody(body), { timeout, ...toPublishOptions(options) });
    } catch (err) {
      const noResponders =
        err instanceof natsErrors.NoRespondersError || (err instanceof natsErrors.RequestError && err.isNoResponders());
      if (noResponders) throw new Error(`no service answers requests on "${subject}"`, { cause: err });
      if (err instanceof natsErrors.TimeoutError) throw new Error(`no reply on "${subject}" within ${timeout} ms`, { cause: err });
      throw err;
    }
    const problem = reply.headers?.get(ERROR_HEADER);
    if (problem) {
      const code = Number(reply.headers?.get(ERROR_CODE_HEADER)) || 500;
      throw new ServiceError(code, `"${subject}" answered with an error: ${problem}`);
    }
    return new Message(reply);
  }

  /** Logs data: publishes `body` on logSubject(category) (`__telestion__/log/<category>`) for the log sink to write. */
  log(category: string, body: Body): void {
    this.nc.publish(logSubject(category), encodeBody(body));
  }

  /**
   * Calls `handler` (it may be async) at start + n·intervalMs (n = 1, 2, …) and publishes its value on
   * `subject` by the body rule; `undefined` publishes nothing that tick. Calls never overlap: ticks
   * that fall due during a slow call are skipped and counted. Errors are counted in health and the
   * timer goes on. Stopped first by `stop()` (see publisher.ts). Throws one line for a bad subject.
   */
  publishEvery(subject: string, intervalMs: number, handler: PublishHandler): Publisher {
    return this.#publishers.start(this.nc, subject, intervalMs, handler);
  }

  /** Each running publisher's figures (ticks, published, skipped, errors), in start order. */
  publishers(): PublisherStats[] {
    return this.#publishers.list();
  }

  /** Runs `fn` during `stop()`, after handlers finished and before NATS is drained (e.g. to flush files). */
  onStop(fn: () => unknown): void {
    this.#onStop.push(fn);
  }

  /**
   * Stops new work, lets in-flight handlers finish (bounded), runs the onStop hooks,
   * then drains and closes the NATS connection. Safe to call more than once.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.timeoutMs ?? 10_000);
    return this.#stopping;
  }

  async #stop(timeoutMs: number): Promise<void> {
    // A stopping instance leaves discovery first, so that `nats micro ls` no longer offers it.
    this.#micro?.stop();
    // Publishers first: no call starts from here on; a running one may finish beside the handlers.
    const publishing = this.#publishers.stop(timeoutMs);
    const unfinished = (await this.#handlers?.stop(timeoutMs)) ?? 0;
    await publishing; // from here on no publisher sends anything, so nothing is sent after the drain began
    if (unfinished > 0) console.error(`[telestion] ${unfinished} handler(s) still running after ${timeoutMs} ms; stopping anyway`);
    for (const fn of this.#onStop) await fn();
    if (this.#nc && !this.#nc.isClosed()) await this.#nc.drain().catch(() => this.#nc?.close());
  }

  #requireHandlers(): Handlers {
    if (!this.#handlers) void this.nc; // throws the "NATS is disabled" error
    return this.#handlers!;
  }
}

function toPublishOptions(options: PublishOptions): { headers?: ReturnType<typeof natsHeaders> } {
  if (!options.headers) return {};
  const h = natsHeaders();
  for (const [key, value] of Object.entries(options.headers)) h.set(key, value);
  return { headers: h };
}

/**
 * Starts a service: resolves and validates the configuration, connects to NATS (unless `nats: false`)
 * and answers health requests. Rejects with a descriptive error; never exits the process.
 */
export async function startService<Extra = unknown>(options: StartOptions<Extra> = {}): Promise<Service<Extra>> {
  const useNats = options.nats !== false;
  const { config, serviceName, serviceId, dataDir } = resolveConfig<Extra>({ ...options, nats: useNats }, options.config);
  checkDataDir(dataDir);
  const heartbeat = new Heartbeat(options.stallBoundMs); // checks the bound before connecting
  const nc = useNats ? await connectNats(config, { timeoutMs: options.connectTimeoutMs, name: serviceId }) : undefined;
  const service = new Service<Extra>(config, serviceName, serviceId, dataDir, nc, options, heartbeat);
  // A round trip, so that a started service already answers health requests.
  await nc?.flush();
  return service;
}
