import { headers, type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { encodeBody } from "./encode.js";
import type { RecentErrors } from "./errors.js";
import { Message } from "./message.js";
import { oneLine } from "./one-line.js";

/** A message handler; it may be async. For `reply`, the returned value is the reply body. */
export type Handler = (message: Message) => unknown;

export interface SubscribeOptions {
  /** Queue group: SERVICE_NAME by default, another name, or false for every instance to get every message. */
  queue?: string | false;
  /**
   * Also deliver the runtime's own `__telestion__…` subjects (health, log) when `subject` is a wildcard.
   * Off by default, so that `>` or `*` never sees them; the log sink turns it on.
   */
  system?: boolean;
}

/** The headers NATS micro services use for error replies, so standard clients recognise them. */
export const ERROR_HEADER = "Nats-Service-Error";
export const ERROR_CODE_HEADER = "Nats-Service-Error-Code";

/**
 * Queue-group subscriptions and request/reply handlers. A handler that throws or rejects is reported
 * on one line, counted in the health figure, answered with an error reply when a reply is expected,
 * and never stops the service or its other handlers. In-flight async handlers are tracked so that
 * shutdown can wait for them.
 */
export class Handlers {
  readonly #subscriptions = new Set<Subscription>();
  readonly #inFlight = new Set<Promise<void>>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly errors: RecentErrors,
    private readonly defaultQueue: string,
    private readonly report: (line: string) => void = (line) => console.error(line),
  ) {}

  subscribe(subject: string, handler: Handler, options: SubscribeOptions = {}): Subscription {
    return this.#listen(subject, handler, options, false);
  }

  reply(subject: string, handler: Handler, options: SubscribeOptions = {}): Subscription {
    return this.#listen(subject, handler, options, true);
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Stops receiving, then waits up to `timeoutMs` for in-flight handlers; resolves to how many did not finish. */
  async stop(timeoutMs: number): Promise<number> {
    await Promise.all([...this.#subscriptions].map((sub) => sub.drain().catch(() => undefined)));
    if (this.#inFlight.size === 0) return 0;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.#inFlight]), deadline]);
    clearTimeout(timer);
    return this.#inFlight.size;
  }

  #listen(subject: string, handler: Handler, options: SubscribeOptions, replies: boolean): Subscription {
    const queue = options.queue === false ? undefined : (options.queue ?? this.defaultQueue);
    const sub = this.nc.subscribe(subject, {
      queue,
      callback: (err, msg) => {
        if (err) this.#fail(subject, err, undefined);
        else this.#dispatch(handler, msg, replies);
      },
    });
    this.#subscriptions.add(sub);
    void sub.closed.then(() => this.#subscriptions.delete(sub));
    return sub;
  }

  #dispatch(handler: Handler, msg: Msg, replies: boolean): void {
    let result: unknown;
    try {
      result = handler(new Message(msg));
    } catch (err) {
      this.#fail(msg.subject, err, msg);
      return;
    }
    if (!isThenable(result)) {
      if (replies) this.#respond(msg, result);
      return;
    }
    const done: Promise<void> = Promise.resolve(result).then(
      (value) => {
        if (replies) this.#respond(msg, value);
      },
      (err: unknown) => this.#fail(msg.subject, err, msg),
    );
    this.#inFlight.add(done);
    void done.then(() => this.#inFlight.delete(done));
  }

  #respond(msg: Msg, value: unknown): void {
    if (!msg.reply) return;
    let body: Uint8Array;
    try {
      body = encodeBody(value);
    } catch (err) {
      this.#fail(msg.subject, err, msg);
      return;
    }
    msg.respond(body);
  }

  #fail(subject: string, err: unknown, msg: Msg | undefined): void {
    this.errors.record();
    const text = oneLine(err);
    this.report(`[telestion] handler for "${subject}" failed: ${text}`);
    if (!msg?.reply) return;
    const h = headers();
    h.set(ERROR_HEADER, text);
    h.set(ERROR_CODE_HEADER, "500");
    msg.respond(encodeBody({ error: text }), { headers: h });
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}
