import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { writableDirProblem, describeFsError } from "./data-dir.js";
import { categoryOf, categoryProblem, LOG_SINK_SUBJECTS } from "./log.js";
import { formatLogLine } from "./log-file-format.js";
import type { Message } from "./message.js";
import type { Service } from "./service.js";

/** Files kept open at most; the least recently written is closed first. Far below the usual 1,024 descriptors. */
export const MAX_OPEN_LOG_FILES = 64;

/**
 * How often, at most, a file being written is checked to still be `<category>.log`: logrotate renames
 * it (or removes it), and writing on into the renamed file would leave no new one. One stat() per
 * category per interval; lines written before the check reaches the rename stay in the renamed file.
 */
export const IDENTITY_CHECK_MS = 250;

/** An open log file: its descriptor, the identity of the file it names, and when that was last checked. */
interface OpenFile {
  fd: number;
  dev: bigint;
  ino: bigint;
  checkedAt: number;
}

/**
 * Append-only files, one per category, under one folder. Lines wait in a per-category buffer and are
 * written in one batch per event-loop turn (setImmediate) with synchronous writes: a file's lines
 * stay whole and in arrival order, also when its descriptor is closed and reopened, and a failed
 * write tells exactly how many lines were lost. At most `maxOpen` descriptors are open. A file renamed
 * or removed meanwhile (logrotate) is noticed within IDENTITY_CHECK_MS, and `<category>.log` made anew.
 */
export class LogFiles {
  readonly #pending = new Map<string, string[]>();
  /** Open descriptors by category; Map order is the use order, least recently used first. */
  readonly #open = new Map<string, OpenFile>();
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
    let file = this.#open.get(category);
    if (file !== undefined && !this.#stillNamed(category, file)) {
      this.#forget(category);
      file = undefined;
    }
    if (file !== undefined) {
      this.#open.delete(category); // re-inserted below as the most recently used
    } else {
      if (this.#open.size >= this.maxOpen) this.#forgetOldest();
      const fd = this.#openFile(category);
      let identity;
      try {
        identity = fstatSync(fd, { bigint: true });
      } catch (err) {
        closeSync(fd);
        throw err;
      }
      file = { fd, dev: identity.dev, ino: identity.ino, checkedAt: performance.now() };
    }
    this.#open.set(category, file);
    return file.fd;
  }

  /** False once `<category>.log` is no longer the file `file` writes to (checked at most every IDENTITY_CHECK_MS). */
  #stillNamed(category: string, file: OpenFile): boolean {
    const now = performance.now();
    if (now - file.checkedAt < IDENTITY_CHECK_MS) return true;
    file.checkedAt = now;
    try {
      const named = statSync(this.#path(category), { bigint: true, throwIfNoEntry: false });
      return named !== undefined && named.ino === file.ino && named.dev === file.dev;
    } catch {
      return false; // reopening tells the real cause, or writes on
    }
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
    const file = this.#open.get(category);
    if (file === undefined) return;
    this.#open.delete(category);
    try {
      closeSync(file.fd);
    } catch {
      // already unusable; nothing more to lose
    }
  }

  #path(category: string): string {
    return join(this.dir, `${category}.log`);
  }
}

/**
 * The name of a log sink started with SERVICE_NAME `name`: `<name>-log-sink`, or `name` itself when it
 * already ends in `log-sink` (`log-sink`, `dev-log-sink`). It is the sink's queue group, and the
 * standalone sink's SERVICE_NAME: a sink started with a service's configuration never joins that
 * service's queue group and never answers health as that service.
 */
export function logSinkName(name: string): string {
  return name.endsWith("log-sink") ? name : `${name}-log-sink`;
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
 * (category without a dot) or `__telestion__.log.<category>` to `DATA_DIR/logs/<category>.log`. Throws
 * when that folder cannot be written. Every lost line counts one error in the health figure.
 *
 * It subscribes to LOG_SINK_SUBJECTS (`*` and `__telestion__.log.>`, not `>`, so that requests nobody
 * serves still fail with "no responders"; log.ts says why) with `system`, as `*` must see the runtime's
 * one-token subjects, and keeps the log subjects. Its queue group is logSinkName(SERVICE_NAME), never
 * the service's own: NATS gives each message to one member of a group.
 */
export function startLogSink(service: Service<unknown>): LogFiles {
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
  const write = (message: Message) => {
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
  };
  const queue = logSinkName(service.serviceName);
  for (const subject of LOG_SINK_SUBJECTS) service.subscribe(subject, write, { queue, system: true });
  service.onStop(() => files.close());
  return files;
}
