import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { writableDirProblem, describeFsError } from "./data-dir.js";
import { categoryOf, categoryProblem } from "./log.js";
import { formatLogLine } from "./log-file-format.js";
import type { Message } from "./message.js";
import type { Service } from "./service.js";

/** Files kept open at most; the least recently written is closed first. Far below the usual 1,024 descriptors. */
export const MAX_OPEN_LOG_FILES = 64;

/**
 * Append-only files, one per category, under one folder. Lines wait in a per-category buffer and are
 * written in one batch per event-loop turn (setImmediate) with synchronous writes: a file's lines
 * stay whole and in arrival order, also when its descriptor is closed and reopened, and a failed
 * write tells exactly how many lines were lost. At most `maxOpen` descriptors are open.
 */
export class LogFiles {
  readonly #pending = new Map<string, string[]>();
  /** Open descriptors by category; Map order is the use order, least recently used first. */
  readonly #open = new Map<string, number>();
  #scheduled = false;

  constructor(
    readonly dir: string,
    /** Called once per batch that could not (all) be written: `lost` lines of `category` are gone. */
    private readonly onLost: (category: string, lost: number, err: unknown) => void,
    private readonly maxOpen = MAX_OPEN_LOG_FILES,
  ) {}

  append(category: string, line: string): void {
    const lines = this.#pending.get(category);
    if (lines) lines.push(line);
    else this.#pending.set(category, [line]);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes every pending line now. */
  flush(): void {
    this.#scheduled = false;
    const batches = [...this.#pending];
    this.#pending.clear();
    for (const [category, lines] of batches) this.#write(category, lines);
  }

  /** Flushes and closes every file. */
  close(): void {
    this.flush();
    for (const category of [...this.#open.keys()]) this.#forget(category);
  }

  #write(category: string, lines: string[]): void {
    const bytes = Buffer.from(lines.join(""));
    let written = 0;
    try {
      const fd = this.#fd(category);
      while (written < bytes.length) written += writeSync(fd, bytes, written);
    } catch (err) {
      this.#forget(category);
      const whole = this.#dropTornLine(category, bytes, written);
      this.onLost(category, lines.length - whole, err);
    }
  }

  /**
   * After a short write, cuts the partly written last line off the file (so the next line does not
   * glue onto it) and returns how many lines made it whole.
   */
  #dropTornLine(category: string, bytes: Buffer, written: number): number {
    if (written === 0) return 0;
    const end = bytes.lastIndexOf(10, written - 1) + 1; // after the last complete line
    if (end < written) {
      try {
        const fd = openSync(this.#path(category), "r+");
        try {
          ftruncateSync(fd, fstatSync(fd).size - (written - end));
        } finally {
          closeSync(fd);
        }
      } catch {
        // The torn line stays; the count below still tells the lines that were lost.
      }
    }
    let whole = 0;
    for (let i = bytes.indexOf(10); i >= 0 && i < end; i = bytes.indexOf(10, i + 1)) whole++;
    return whole;
  }

  #fd(category: string): number {
    let fd = this.#open.get(category);
    if (fd !== undefined) {
      this.#open.delete(category); // re-inserted below as the most recently used
    } else {
      if (this.#open.size >= this.maxOpen) this.#forgetOldest();
      fd = this.#openFile(category);
    }
    this.#open.set(category, fd);
    return fd;
  }

  /**
   * Opens for appending. When the process is out of descriptors, closes some of ours and tries again;
   * when the folder is gone (removed while running), makes it again, so that the error reported is
   * the real cause (EACCES, EROFS) rather than ENOENT.
   */
  #openFile(category: string): number {
    let remade = false;
    for (;;) {
      try {
        return openSync(this.#path(category), "a");
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code === "EMFILE" || code === "ENFILE") && this.#open.size > 0) {
          this.#forgetOldest();
        } else if (code === "ENOENT" && !remade) {
          mkdirSync(this.dir, { recursive: true });
          remade = true;
        } else {
          throw err;
        }
      }
    }
  }

  #forgetOldest(): void {
    this.#forget(this.#open.keys().next().value!);
  }

  #forget(category: string): void {
    const fd = this.#open.get(category);
    if (fd === undefined) return;
    this.#open.delete(category);
    try {
      closeSync(fd);
    } catch {
      // already unusable; nothing more to lose
    }
  }

  #path(category: string): string {
    return join(this.dir, `${category}.log`);
  }
}

export interface LogSinkOptions {
  /**
   * Queue group of the sink's subscription. Default `<SERVICE_NAME>-log-sink`: a group of its own, so
   * that the sink never takes messages from the service's handlers (NATS gives each message to one
   * member of a group). Sinks sharing a group share the log lines.
   */
  queue?: string;
}

/** Categories whose check is remembered; past this the memory starts afresh. */
const MAX_APPROVED_CATEGORIES = 10_000;

/** While lines are being lost: one stderr line at once, then at most one a second with the count since. */
const REPORT_INTERVAL_MS = 1_000;

function lossReporter(dir: string): (category: string, count: number, err: unknown) => void {
  let lost = 0;
  let last = "";
  let timer: NodeJS.Timeout | undefined;
  const report = () => {
    timer = undefined;
    if (lost === 0) return;
    console.error(`[log-sink] lost ${lost} line(s): ${last}: make room or make it writable for this user`);
    lost = 0;
    timer = setTimeout(report, REPORT_INTERVAL_MS).unref();
  };
  return (category, count, err) => {
    lost += count;
    last = `${join(dir, category)}.log ${describeFsError(err)}`;
    if (!timer) report();
  };
}

/**
 * The standard operations log sink: writes every message published to `__telestion__/log/<category>`
 * (or `__telestion__.log.<category>`) to `DATA_DIR/logs/<category>.log`. Throws when that folder
 * cannot be written. Every lost line counts one error in the health figure.
 *
 * NATS wildcards match whole dot-separated tokens, and `__telestion__/log/x` is a single token, so
 * no wildcard narrower than `>` receives every category: the sink subscribes to `>` (with `system`,
 * to see the runtime's subjects) and keeps the log subjects. bench/ measures what the unrelated
 * traffic costs.
 */
export function startLogSink(service: Service<unknown>, options: LogSinkOptions = {}): LogFiles {
  const dir = join(service.dataDir, "logs");
  const problem = writableDirProblem(dir);
  if (problem) throw new Error(`log sink: ${problem}: make it writable for this user or point DATA_DIR elsewhere`);

  const report = lossReporter(dir);
  const files = new LogFiles(dir, (category, count, err) => {
    for (let i = 0; i < count; i++) service.errors.record();
    report(category, count, err);
  });
  // Categories already checked: the checks are regular expressions, and a flood repeats a few categories.
  const approved = new Set<string>();
  const queue = options.queue ?? `${service.serviceName}-log-sink`;
  service.subscribe(
    ">",
    (message: Message) => {
      const category = categoryOf(message.subject);
      if (category === undefined) return;
      if (!approved.has(category)) {
        const problem = categoryProblem(category);
        if (problem) throw new Error(`refused log category ${JSON.stringify(category)}: it ${problem}`);
        // A publisher inventing categories must not grow this cache without end.
        if (approved.size >= MAX_APPROVED_CATEGORIES) approved.clear();
        approved.add(category);
      }
      files.append(category, formatLogLine(message.data, Date.now()));
    },
    { queue, system: true },
  );
  service.onStop(() => files.close());
  return files;
}
