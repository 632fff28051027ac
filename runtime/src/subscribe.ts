import { headers, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { encodeBody } from "./encode.js";
import type { RecentErrors } from "./errors.js";
import type { HandlerLoad } from "./load.js";
import { Message, MessageFormatError } from "./message.js";
import { oneLine, printable } from "./one-line.js";
import { ThrottledReport } from "./report.js";
import { isRuntimeSubject, isWildcard, overlapProblem, type SubjectKind } from "./subjects.js";

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

export interface HandlerLimits {
  /** Async handlers running at once; further messages wait in arrival order. */
  maxConcurrent: number;
  /** Messages that may wait; past this (or maxPendingBytes) a message is dropped and counted. */
  maxPendingMessages: number;
  maxPendingBytes: number;
}

/** As NATS clients bound a subscription's pending messages (nats.go: 512 Ki messages, 64 MiB). */
export const DEFAULT_HANDLER_LIMITS: HandlerLimits = {
  maxConcurrent: 100,
  maxPendingMessages: 65_536,
  maxPendingBytes: 64 * 1024 * 1024,
};

/** The headers NATS micro services use for error replies, so standard clients recognise them. */
export const ERROR_HEADER = "Nats-Service-Error";
export const ERROR_CODE_HEADER = "Nats-Service-Error-Code";

/** Thrown by a handler to answer with an error of its choice: `Nats-Service-Error-Code: <code>`. */
export class ServiceError extends Error {
  override name = "ServiceError";
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

interface Registration {
  subject: string;
  kind: SubjectKind;
  queue: string | undefined;
  handler: Handler;
  /** A wildcard that must not see the runtime's own subjects. */
  skipsRuntimeSubjects: boolean;
}

interface Waiting {
  registration: Registration;
  msg: Msg;
}

/**
 * Queue-group subscriptions and request/reply handlers. A handler that throws or rejects is reported
 * on one line, counted in the health figure, answered with an error reply only when it is a reply
 * handler, and never stops the service or its other handlers. Async handlers run concurrently up to
 * a bound; past it messages wait in arrival order, within pending limits. Nothing here may throw into
 * the NATS client's socket reader: that would stop it reading, health requests included.
 */
export class Handlers {
  readonly #registrations: Registration[] = [];
  readonly #subscriptions = new Set<Subscription>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #waiting: Waiting[] = [];
  #waitingHead = 0;
  #waitingBytes = 0;
  #drained: (() => void) | undefined;
  readonly #backlog: ThrottledReport;
  readonly #drops: ThrottledReport;
  readonly #limits: HandlerLimits;

  constructor(
    private readonly nc: NatsConnection,
    private readonly errors: RecentErrors,
    private readonly defaultQueue: string,
    private readonly load: HandlerLoad,
    limits: Partial<HandlerLimits> = {},
    private readonly report: (line: string) => void = (line) => console.error(line),
  ) {
    this.#limits = { ...DEFAULT_HANDLER_LIMITS, ...limits };
    this.#backlog = new ThrottledReport(report);
    this.#drops = new ThrottledReport(report);
  }

  subscribe(subject: string, handler: Handler, options: SubscribeOptions = {}): Subscription {
    return this.#listen(subject, handler, options, "subscribe");
  }

  reply(subject: string, handler: Handler, options: SubscribeOptions = {}): Subscription {
    return this.#listen(subject, handler, options, "reply");
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  get pending(): number {
    return this.#waiting.length - this.#waitingHead;
  }

  /**
   * Stops receiving, then waits up to `timeoutMs` for waiting messages and in-flight handlers;
   * resolves to how many of them did not finish.
   */
  async stop(timeoutMs: number): Promise<number> {
    await Promise.all([...this.#subscriptions].map((sub) => sub.drain().catch(() => undefined)));
    if (this.inFlight + this.pending === 0) return 0;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    const drained = new Promise<void>((resolve) => (this.#drained = resolve));
    await Promise.race([drained, deadline]);
    clearTimeout(timer);
    return this.inFlight + this.pending;
  }

  #listen(subject: string, handler: Handler, options: SubscribeOptions, kind: SubjectKind): Subscription {
    const queue = options.queue === false ? undefined : (options.queue ?? this.defaultQueue);
    const registration: Registration = {
      subject,
      kind,
      queue,
      handler,
      skipsRuntimeSubjects: options.system !== true && isWildcard(subject) && !isRuntimeSubject(subject),
    };
    this.#refuseOverlap(registration);
    const sub = this.nc.subscribe(subject, {
      queue,
      callback: (err, msg) => {
        if (err) this.#fail(registration, undefined, err);
        else this.#receive(registration, msg);
      },
    });
    this.#registrations.push(registration);
    this.#subscriptions.add(sub);
    void sub.closed.then(() => {
      this.#subscriptions.delete(sub);
      this.#registrations.splice(this.#registrations.indexOf(registration), 1);
    });
    return sub;
  }

  /** Two handlers in one queue group on overlapping subjects would each get only some of the shared messages. */
  #refuseOverlap(registration: Registration): void {
    if (registration.queue === undefined) return;
    for (const other of this.#registrations) {
      if (other.queue !== registration.queue) continue;
      const problem = overlapProblem(other, registration);
      if (problem) {
        throw new Error(
          `${problem}, or give one of them its own queue group ({ queue: "<name>" } or { queue: false }) ` +
            `(both are in queue group "${registration.queue}")`,
        );
      }
    }
  }

  #receive(registration: Registration, msg: Msg): void {
    if (registration.skipsRuntimeSubjects && isRuntimeSubject(msg.subject)) return;
    if (this.#inFlight.size < this.#limits.maxConcurrent && this.pending === 0) {
      this.#run(registration, msg);
      return;
    }
    const size = msg.data.byteLength;
    if (this.pending >= this.#limits.maxPendingMessages || this.#waitingBytes + size > this.#limits.maxPendingBytes) {
      this.errors.record();
      this.load.addDropped();
      this.#drops.add(
        (count) =>
          `[telestion] dropped ${count} message(s) on ${quote(msg.subject)}: ${this.pending} waiting for a handler ` +
          `(limits: ${this.#limits.maxPendingMessages} messages, ${this.#limits.maxPendingBytes} bytes)`,
      );
      return;
    }
    this.#waiting.push({ registration, msg });
    this.#waitingBytes += size;
    this.load.pending = this.pending;
    this.#backlog.add(
      () =>
        `[telestion] all ${this.#limits.maxConcurrent} handler slots busy: ${this.pending} message(s) waiting ` +
        `(latest on ${quote(msg.subject)})`,
    );
  }

  /** Starts waiting messages while slots are free. */
  #pump(): void {
    while (this.pending > 0 && this.#inFlight.size < this.#limits.maxConcurrent) {
      const next = this.#waiting[this.#waitingHead]!;
      this.#waiting[this.#waitingHead++] = undefined as unknown as Waiting;
      this.#waitingBytes -= next.msg.data.byteLength;
      if (this.#waitingHead > 1024 && this.#waitingHead * 2 > this.#waiting.length) {
        this.#waiting.splice(0, this.#waitingHead);
        this.#waitingHead = 0;
      }
      this.#run(next.registration, next.msg);
    }
    this.load.pending = this.pending;
    if (this.pending === 0 && this.#inFlight.size === 0) this.#drained?.();
  }

  #run(registration: Registration, msg: Msg): void {
    let result: unknown;
    try {
      result = registration.handler(new Message(msg));
    } catch (err) {
      this.#fail(registration, msg, err);
      return;
    }
    if (!isThenable(result)) {
      if (registration.kind === "reply") this.#respond(registration, msg, result);
      return;
    }
    const done: Promise<void> = Promise.resolve(result).then(
      (value) => {
        if (registration.kind === "reply") this.#respond(registration, msg, value);
      },
      (err: unknown) => this.#fail(registration, msg, err),
    );
    this.#inFlight.add(done);
    this.load.inFlight = this.#inFlight.size;
    void done.then(() => {
      this.#inFlight.delete(done);
      this.load.inFlight = this.#inFlight.size;
      this.#pump();
    });
  }

  #respond(registration: Registration, msg: Msg, value: unknown): void {
    if (!msg.reply) return;
    let body: Uint8Array;
    try {
      body = encodeBody(value);
    } catch (err) {
      this.#fail(registration, msg, err);
      return;
    }
    const limit = this.nc.info?.max_payload;
    if (limit !== undefined && body.byteLength > limit) {
      this.#fail(registration, msg, new Error(`the reply of ${body.byteLength} bytes exceeds the server's max_payload of ${limit} bytes`));
      return;
    }
    this.#send(registration, msg, body);
  }

  /** Reports and counts a failure; only a reply handler answers it, with an error reply. */
  #fail(registration: Registration, msg: Msg | undefined, err: unknown): void {
    this.errors.record();
    const text = oneLine(err);
    this.report(`[telestion] handler for ${quote(msg?.subject ?? registration.subject)} failed: ${text}`);
    if (registration.kind !== "reply" || !msg?.reply) return;
    const h = headers();
    h.set(ERROR_HEADER, text);
    h.set(ERROR_CODE_HEADER, String(errorCode(err)));
    this.#send(registration, msg, encodeBody({ error: text }), h);
  }

  /** The last step of every reply: a reply that cannot be sent is counted and reported, never thrown. */
  #send(registration: Registration, msg: Msg, body: Uint8Array, hdrs?: MsgHdrs): void {
    try {
      msg.respond(body, hdrs ? { headers: hdrs } : undefined);
    } catch (err) {
      this.errors.record();
      this.report(`[telestion] cannot reply on ${quote(registration.subject)}: ${oneLine(err)}`);
    }
  }
}

/** 400 for input the handler refused, the code a handler chose, else 500 (as NATS micro services do). */
function errorCode(err: unknown): number {
  if (err instanceof MessageFormatError) return 400;
  if (err instanceof ServiceError) return err.code;
  return 500;
}

function quote(subject: string): string {
  return `"${printable(subject, 200)}"`;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}
