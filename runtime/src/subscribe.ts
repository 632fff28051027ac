import type { Msg, MsgHdrs, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { RecentErrors } from "./errors.js";
import type { HandlerLoad } from "./load.js";
import { Message } from "./message.js";
import { oneLine, printable } from "./one-line.js";
import { errorReply, failureOf, isClientError, replyBody } from "./reply.js";
import { ThrottledReport } from "./report.js";
import { isReservedSubject, isWildcard, overlapProblem, type SubjectKind } from "./subjects.js";

/** A message handler; it may be async. For `reply`, the returned value is the reply body. */
export type Handler = (message: Message) => unknown;

export interface SubscribeOptions {
  /** Queue group: SERVICE_NAME by default, another name, or false for every instance to get every message. */
  queue?: string | false;
  /**
   * Also deliver the runtime's own subjects (`__telestion__…` health and log, `$SRV.…` discovery) when
   * `subject` is a wildcard. Off by default, so that `>` or `*` never sees them; the log sink turns it on.
   */
  system?: boolean;
  /** This handler's own bounds, instead of the service's handlerLimits. */
  maxConcurrent?: number;
  maxPendingMessages?: number;
}

export interface HandlerLimits {
  /** Per handler: its async calls running at once; further messages wait in arrival order. */
  maxConcurrent: number;
  /** Per handler: messages that may wait; past this (or maxPendingBytes) a message is dropped and counted. */
  maxPendingMessages: number;
  /** For the whole service: bytes of all handlers' waiting messages together. */
  maxPendingBytes: number;
}

/** As NATS clients bound each subscription's pending messages (nats.go: 512 Ki messages, 64 MiB). */
export const DEFAULT_HANDLER_LIMITS: HandlerLimits = {
  maxConcurrent: 100,
  maxPendingMessages: 65_536,
  maxPendingBytes: 64 * 1024 * 1024,
};

// What a reply handler's client gets (error codes, headers, bodies) is written down in reply.ts.
export { ERROR_CODE_HEADER, ERROR_HEADER, ServiceError } from "./reply.js";

/** One registration's figures, as NATS micro discovery reports an endpoint's. */
export interface EndpointStats {
  subject: string;
  kind: "subscribe" | "reply";
  queue: string | undefined;
  /** Messages handled (the handler returned, or its promise settled). */
  numRequests: number;
  /** Of those, the ones that failed: server (5xx) and client (4xx) errors alike, as NATS micro counts them. */
  numErrors: number;
  /** The last failure's one-line text, as the error reply says it ("" if none). */
  lastError: string;
  /** Total time spent in the handler, async ones until settled. */
  processingTimeNs: number;
}

interface Registration {
  readonly subject: string;
  readonly kind: SubjectKind;
  readonly queue: string | undefined;
  readonly handler: Handler;
  /** A wildcard that must not see the runtime's own subjects nor discovery's (subjects.ts isReservedSubject). */
  readonly skipsRuntimeSubjects: boolean;
  readonly maxConcurrent: number;
  readonly maxPendingMessages: number;
  /** Messages waiting for one of this handler's slots, from `head` on (the consumed front is cleared). */
  waiting: (Msg | undefined)[];
  head: number;
  inFlight: number;
  /** Its figures in the shared HandlerLoad, or -1. */
  loadSlot: number;
  readonly backlog: ThrottledReport;
  readonly drops: ThrottledReport;
  /** Messages given to the handler so far; past TIMED_ALWAYS, every 128th of them is timed. */
  calls: number;
  numRequests: number;
  numErrors: number;
  lastError: string;
  /** The timed messages that finished, and their time in the handler. */
  timedRequests: number;
  timedNs: number;
}

/**
 * Reading the clock twice costs about what a small handler does with a message: so past the first
 * TIMED_ALWAYS messages of a handler only every TIMING_STRIDE-th (a power of two: a mask, no division)
 * is timed, and its total is their average times the messages handled (exact while every message is
 * timed). performance.now() gives a number, where process.hrtime.bigint() allocates a BigInt per read.
 */
const TIMED_ALWAYS = 64;
const TIMING_MASK = 128 - 1;
const NOT_TIMED = -1;

/**
 * Queue-group subscriptions and request/reply handlers. A handler that throws or rejects is reported
 * on one line, counted in the health figure, answered with an error reply only when it is a reply
 * handler, and never stops the service or its other handlers; a reply handler's client error (4xx) is
 * the sender's problem: answered, not counted. Each registration has its own concurrency bound and
 * waiting queue (as NATS clients bound each subscription's pending messages), so a flood on one
 * subject never delays another; the bytes waiting are bounded for the whole service. Nothing here may
 * throw into the NATS client's socket reader: that would stop it reading, health requests included.
 */
export class Handlers {
  readonly #registrations: Registration[] = [];
  readonly #subscriptions = new Set<Subscription>();
  #inFlight = 0;
  #pending = 0;
  #pendingBytes = 0;
  #drained: (() => void) | undefined;
  readonly #refused: ThrottledReport;
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
    for (const key of Object.keys(DEFAULT_HANDLER_LIMITS) as (keyof HandlerLimits)[]) {
      checkLimit(`handlerLimits.${key}`, this.#limits[key]);
    }
    this.#refused = new ThrottledReport(report);
  }

  subscribe(subject: string, handler: Handler, options: SubscribeOptions = {}): Subscription {
    return this.#listen(subject, handler, options, "subscribe");
  }

  reply(subject: string, handler: Handler, options: SubscribeOptions = {}): Subscription {
    return this.#listen(subject, handler, options, "reply");
  }

  /** Async handler calls running now, all handlers together. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Messages waiting for a handler slot, all handlers together. */
  get pending(): number {
    return this.#pending;
  }

  /** Each live registration's figures, in registration order (for NATS micro discovery). */
  endpoints(): EndpointStats[] {
    return this.#registrations.map((r) => ({
      subject: r.subject,
      kind: r.kind,
      queue: r.queue,
      numRequests: r.numRequests,
      numErrors: r.numErrors,
      lastError: r.lastError,
      processingTimeNs: r.timedRequests === 0 ? 0 : Math.round((r.timedNs / r.timedRequests) * r.numRequests),
    }));
  }

  /**
   * Stops receiving, then waits up to `timeoutMs` for waiting messages and in-flight handlers;
   * resolves to how many of them did not finish.
   */
  async stop(timeoutMs: number): Promise<number> {
    await Promise.all([...this.#subscriptions].map((sub) => sub.drain().catch(() => undefined)));
    if (this.#inFlight + this.#pending === 0) return 0;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    const drained = new Promise<void>((resolve) => (this.#drained = resolve));
    await Promise.race([drained, deadline]);
    clearTimeout(timer);
    return this.#inFlight + this.#pending;
  }

  #listen(subject: string, handler: Handler, options: SubscribeOptions, kind: SubjectKind): Subscription {
    const queue = options.queue === false ? undefined : (options.queue ?? this.defaultQueue);
    const maxConcurrent = options.maxConcurrent ?? this.#limits.maxConcurrent;
    const maxPendingMessages = options.maxPendingMessages ?? this.#limits.maxPendingMessages;
    checkLimit("maxConcurrent", maxConcurrent);
    checkLimit("maxPendingMessages", maxPendingMessages);
    const registration: Registration = {
      subject,
      kind,
      queue,
      handler,
      skipsRuntimeSubjects: options.system !== true && isWildcard(subject) && !isReservedSubject(subject),
      maxConcurrent,
      maxPendingMessages,
      waiting: [],
      head: 0,
      inFlight: 0,
      loadSlot: -1,
      backlog: new ThrottledReport(this.report),
      drops: new ThrottledReport(this.report),
      calls: 0,
      numRequests: 0,
      numErrors: 0,
      lastError: "",
      timedRequests: 0,
      timedNs: 0,
    };
    this.#refuseOverlap(registration);
    const sub = this.nc.subscribe(subject, {
      queue,
      callback: (err, msg) => {
        if (err) this.#fail(registration, undefined, err);
        else this.#receive(registration, msg);
      },
    });
    registration.loadSlot = this.load.claim(subject);
    this.#registrations.push(registration);
    this.#subscriptions.add(sub);
    void sub.closed.then(() => {
      this.#subscriptions.delete(sub);
      this.#registrations.splice(this.#registrations.indexOf(registration), 1);
      this.load.release(registration.loadSlot);
      registration.loadSlot = -1;
    });
    return sub;
  }

  /** Two handlers in one queue group on overlapping subjects would each get only some of the shared messages. */
  #refuseOverlap(registration: Registration): void {
    if (registration.queue === undefined) return;
    for (const other of this.#registrations) {
      if (other.queue !== registration.queue) continue;
      const problem = overlapProblem(other, registration);
      if (problem) throw new Error(`${problem} (both are in queue group "${registration.queue}")`);
    }
  }

  #receive(r: Registration, msg: Msg): void {
    if (r.skipsRuntimeSubjects && isReservedSubject(msg.subject)) return;
    if (r.inFlight < r.maxConcurrent && r.head === r.waiting.length) {
      this.#run(r, msg);
      return;
    }
    const size = msg.data.byteLength;
    const waiting = r.waiting.length - r.head;
    if (waiting >= r.maxPendingMessages || this.#pendingBytes + size > this.#limits.maxPendingBytes) {
      this.errors.record();
      this.load.addDropped();
      this.load.addHandlerDropped(r.loadSlot);
      r.drops.add(
        (count) =>
          `[telestion] dropped ${count} message(s) on ${quote(msg.subject)}: ${waiting} waiting for its handler ` +
          `(limits: ${r.maxPendingMessages} messages per handler, ${this.#limits.maxPendingBytes} bytes in all)`,
      );
      return;
    }
    r.waiting.push(msg);
    this.#pendingBytes += size;
    this.#pending++;
    this.#showLoad(r);
    r.backlog.add(
      () =>
        `[telestion] all ${r.maxConcurrent} handler slots for ${quote(r.subject)} busy: ` +
        `${waiting + 1} message(s) waiting (latest on ${quote(msg.subject)})`,
    );
  }

  /** Starts `r`'s waiting messages while it has free slots. */
  #pump(r: Registration): void {
    while (r.head < r.waiting.length && r.inFlight < r.maxConcurrent) {
      const msg = r.waiting[r.head]!;
      r.waiting[r.head++] = undefined;
      if (r.head === r.waiting.length) {
        r.waiting = [];
        r.head = 0;
      } else if (r.head > 1024 && r.head * 2 > r.waiting.length) {
        r.waiting.splice(0, r.head);
        r.head = 0;
      }
      this.#pendingBytes -= msg.data.byteLength;
      this.#pending--;
      this.#run(r, msg);
    }
    this.#showLoad(r);
    if (this.#pending === 0 && this.#inFlight === 0) this.#drained?.();
  }

  #showLoad(r: Registration): void {
    this.load.inFlight = this.#inFlight;
    this.load.pending = this.#pending;
    this.load.setHandler(r.loadSlot, r.inFlight, r.waiting.length - r.head);
  }

  #run(r: Registration, msg: Msg): void {
    const call = r.calls++;
    const start = call < TIMED_ALWAYS || (call & TIMING_MASK) === 0 ? performance.now() : NOT_TIMED;
    let result: unknown;
    try {
      result = r.handler(new Message(msg));
    } catch (err) {
      this.#handled(r, start);
      this.#fail(r, msg, err);
      return;
    }
    if (!isThenable(result)) {
      this.#handled(r, start);
      if (r.kind === "reply") this.#respond(r, msg, result);
      return;
    }
    r.inFlight++;
    this.#inFlight++;
    this.#showLoad(r);
    void Promise.resolve(result).then(
      (value) => {
        this.#settled(r, start);
        if (r.kind === "reply") this.#respond(r, msg, value);
        this.#pump(r);
      },
      (err: unknown) => {
        this.#settled(r, start);
        this.#fail(r, msg, err);
        this.#pump(r);
      },
    );
  }

  #handled(r: Registration, start: number): void {
    r.numRequests++;
    if (start === NOT_TIMED) return;
    r.timedRequests++;
    r.timedNs += (performance.now() - start) * 1e6;
  }

  #settled(r: Registration, start: number): void {
    this.#handled(r, start);
    r.inFlight--;
    this.#inFlight--;
  }

  #respond(r: Registration, msg: Msg, value: unknown): void {
    if (!msg.reply) return;
    let body: Uint8Array;
    try {
      body = replyBody(value, this.nc.info?.max_payload);
    } catch (err) {
      this.#fail(r, msg, err);
      return;
    }
    this.#send(r, msg, body);
  }

  /**
   * A failure: only a reply handler answers it, with an error reply. A reply handler's client error
   * (4xx: the request was wrong) is the sender's, so it is neither counted in health nor printed
   * each time; everything else is counted and printed.
   */
  #fail(r: Registration, msg: Msg | undefined, err: unknown): void {
    const { code, text } = failureOf(err);
    const subject = quote(msg?.subject ?? r.subject);
    r.numErrors++;
    r.lastError = text;
    if (r.kind === "reply" && isClientError(code)) {
      this.#refused.add((count) => `[telestion] refused ${count} request(s) as client errors (${code}), latest on ${subject}: ${text}`);
    } else {
      this.errors.record();
      this.report(`[telestion] handler for ${subject} failed: ${text}`);
    }
    if (r.kind !== "reply" || !msg?.reply) return;
    const reply = errorReply({ code, text });
    this.#send(r, msg, reply.body, reply.headers);
  }

  /** The last step of every reply: a reply that cannot be sent is counted and reported, never thrown. */
  #send(r: Registration, msg: Msg, body: Uint8Array, hdrs?: MsgHdrs): void {
    try {
      msg.respond(body, hdrs ? { headers: hdrs } : undefined);
    } catch (err) {
      const text = oneLine(err);
      r.numErrors++;
      r.lastError = text;
      this.errors.record();
      this.report(`[telestion] cannot reply on ${quote(r.subject)}: ${text}`);
    }
  }
}

function checkLimit(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a whole number of at least 1, not ${String(value)}`);
  }
}

function quote(subject: string): string {
  return `"${printable(subject, 200)}"`;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}
