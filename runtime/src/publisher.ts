/**
 * Publishers: a function called on a timer whose return value is published, for services that poll
 * hardware or simulate a sensor (Telestion's `publisher` sample). The runtime owns what every such
 * loop needs and is easy to get wrong by hand: drift-free timing, no overlapping calls, errors counted
 * in health without stopping the timer, and a stop that publishes nothing once NATS drains.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { encodeBody } from "./encode.js";
import type { RecentErrors } from "./errors.js";
import { oneLine, printable } from "./one-line.js";
import { ThrottledReport } from "./report.js";
import { subjectProblem } from "./subjects.js";

/** The longest delay Node's timers take (a signed 32-bit count of ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Called once per tick; may be async. Its value is published; `undefined` publishes nothing this tick. */
export type PublishHandler = () => unknown;

/** One publisher's figures since it started. */
export interface PublisherStats {
  subject: string;
  intervalMs: number;
  /** Calls of the handler. */
  ticks: number;
  /** Messages sent (a call that returned `undefined` or failed sends none). */
  published: number;
  /** Tick times that passed while a call was still running (or the process was busy): not called, not made up later. */
  skipped: number;
  /** Calls that threw or rejected, values that could not be encoded or sent. */
  errors: number;
  /** The last error's one-line text ("" if none). */
  lastError: string;
  /** Whether a call is running now. */
  running: boolean;
}

/** A running publisher, as `service.publishEvery` returns it. */
export interface Publisher {
  readonly subject: string;
  stats(): PublisherStats;
  /** Starts no further call; resolves when the running call (if any) has finished and its value was sent. */
  stop(): Promise<void>;
}

/**
 * One timer. Tick n falls due at start + n·interval on the monotonic clock, so lateness never adds
 * up as with setInterval. A call that outlasts the interval makes the ticks falling due meanwhile
 * skipped and counted, never queued: a slow sensor is read as often as it can be, not in bursts.
 */
class Timer implements Publisher {
  readonly #start = performance.now();
  /** The index of the next tick to call. */
  #next = 1;
  #timer: NodeJS.Timeout | undefined;
  #call: Promise<void> | undefined;
  #halted = false;
  /** Set when the service's stop stopped waiting: a value that comes later is not sent (NATS drains next). */
  #closed = false;
  /** When the latest call began (performance.now()). */
  #began = 0;
  #ticks = 0;
  #published = 0;
  #skipped = 0;
  #errors = 0;
  #lastError = "";
  readonly #skips: ThrottledReport;
  readonly #failures: ThrottledReport;

  constructor(
    private readonly nc: NatsConnection,
    readonly subject: string,
    private readonly intervalMs: number,
    private readonly handler: PublishHandler,
    private readonly recentErrors: RecentErrors,
    private readonly report: (line: string) => void,
    private readonly onStopped: (timer: Timer) => void,
  ) {
    this.#skips = new ThrottledReport(report);
    this.#failures = new ThrottledReport(report);
    this.#schedule();
  }

  stats(): PublisherStats {
    return {
      subject: this.subject,
      intervalMs: this.intervalMs,
      ticks: this.#ticks,
      published: this.#published,
      skipped: this.#skipped,
      errors: this.#errors,
      lastError: this.#lastError,
      running: this.#call !== undefined,
    };
  }

  async stop(): Promise<void> {
    this.halt();
    await this.#call;
    this.onStopped(this);
  }

  /** No call starts from now on. */
  halt(): void {
    this.#halted = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The running call, if any, settled (its value sent). */
  get settled(): Promise<void> | undefined {
    return this.#call;
  }

  /** Values that come from now on are not sent. */
  close(): void {
    this.halt();
    this.#closed = true;
  }

  /** Waits for the next tick not yet due; the ticks that fell due during the call just made are skipped. */
  #schedule(): void {
    if (this.#halted) return;
    const now = performance.now();
    const due = Math.floor((now - this.#start) / this.intervalMs);
    if (due >= this.#next) {
      this.#skip(due - this.#next + 1, `the latest call took ${Math.round(now - this.#began)} ms`);
      this.#next = due + 1;
    }
    // A timer may fire a little early: #tick still calls tick #next, never one ahead.
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, this.#start + this.#next * this.intervalMs - now));
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#halted) return;
    const now = performance.now();
    const due = Math.floor((now - this.#start) / this.intervalMs);
    // The timer fired more than an interval late: the process was busy elsewhere.
    if (due > this.#next) this.#skip(due - this.#next, `the process was busy for ${Math.round(now - this.#start - this.#next * this.intervalMs)} ms`);
    this.#next = Math.max(due, this.#next) + 1;
    this.#ticks++;
    this.#began = now;
    let result: unknown;
    try {
      result = this.handler();
    } catch (err) {
      this.#fail(err);
      this.#schedule();
      return;
    }
    if (typeof (result as PromiseLike<unknown> | null)?.then !== "function") {
      this.#send(result);
      this.#schedule();
      return;
    }
    this.#call = Promise.resolve(result)
      .then(
        (value) => this.#send(value),
        (err: unknown) => this.#fail(err),
      )
      .then(() => {
        this.#call = undefined;
        this.#schedule();
      });
  }

  #skip(count: number, why: string): void {
    this.#skipped += count;
    this.#skips.add(
      () =>
        `[telestion] publisher on ${quote(this.subject)} skipped ${this.#skipped} tick(s) so far: calls never overlap, ` +
        `and ${why} with an interval of ${this.intervalMs} ms; make the call faster or the interval longer`,
    );
  }

  #send(value: unknown): void {
    if (value === undefined) return; // nothing to publish this tick
    if (this.#closed) return; // stop() said so on one line already
    let body: Uint8Array;
    try {
      body = encodeBody(value);
    } catch (err) {
      this.#fail(err);
      return;
    }
    const limit = this.nc.info?.max_payload;
    if (limit !== undefined && body.byteLength > limit) {
      this.#fail(new Error(`the message of ${body.byteLength} bytes exceeds the server's max_payload of ${limit} bytes`));
      return;
    }
    try {
      this.nc.publish(this.subject, body);
      this.#published++;
    } catch (err) {
      this.#fail(err);
    }
  }

  #fail(err: unknown): void {
    const text = oneLine(err);
    this.#errors++;
    this.#lastError = text;
    this.recentErrors.record();
    this.#failures.add((count) =>
      count === 1
        ? `[telestion] publisher on ${quote(this.subject)} failed: ${text}`
        : `[telestion] publisher on ${quote(this.subject)} failed ${count} times, latest: ${text}`,
    );
  }
}

/** A service's publishers: started by `publishEvery`, stopped first when the service stops. */
export class Publishers {
  readonly #timers = new Set<Timer>();
  #stopping = false;

  constructor(
    private readonly errors: RecentErrors,
    private readonly report: (line: string) => void = (line) => console.error(line),
  ) {}

  /** Calls `handler` every `intervalMs` ms and publishes its value on `subject`; throws one line for a bad argument. */
  start(nc: NatsConnection, subject: string, intervalMs: number, handler: PublishHandler): Publisher {
    const problem = subjectProblem(subject, "publish");
    if (problem) throw new Error(printable(problem));
    // Node fires a timer longer than MAX_TIMER_MS after 1 ms, which would publish about every millisecond.
    if (!Number.isFinite(intervalMs) || intervalMs < 1 || intervalMs > MAX_TIMER_MS) {
      throw new Error(
        `publishEvery's interval for "${printable(subject)}" is ${intervalMs}; give a number of milliseconds from 1 to ${MAX_TIMER_MS}`,
      );
    }
    if (typeof handler !== "function") throw new Error(`publishEvery for "${printable(subject)}" needs a function to call on each tick`);
    if (this.#stopping) throw new Error(`the service is stopping; publishEvery("${printable(subject)}") cannot start a publisher now`);
    const timer = new Timer(nc, subject, intervalMs, handler, this.errors, this.report, (t) => this.#timers.delete(t));
    this.#timers.add(timer);
    return timer;
  }

  /** Each running publisher's figures, in start order. */
  list(): PublisherStats[] {
    return [...this.#timers].map((timer) => timer.stats());
  }

  /**
   * The service's stop, first step: no call starts from here on; calls already running may finish
   * within `timeoutMs` and their values are sent (the connection is still open, as for in-flight
   * handlers). Values that come later are not sent, since NATS drains next. Resolves to how many
   * calls were still running.
   */
  async stop(timeoutMs: number): Promise<number> {
    this.#stopping = true;
    for (const timer of this.#timers) timer.halt();
    const running = [...this.#timers].flatMap((timer) => timer.settled ?? []);
    if (running.length > 0) {
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(running), new Promise((resolve) => (deadline = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(deadline);
    }
    let late = 0;
    for (const timer of this.#timers) {
      timer.close();
      if (timer.settled === undefined) continue;
      late++;
      this.report(`[telestion] publisher on ${quote(timer.subject)} still running after ${timeoutMs} ms; stopping anyway, its value will not be published`);
    }
    return late;
  }
}

function quote(subject: string): string {
  return `"${printable(subject, 200)}"`;
}
