import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { categoryOf, categoryProblem } from "./log.js";
import { formatLogLine } from "./log-file-format.js";
import type { Message } from "./message.js";
import type { Service } from "./service.js";

/**
 * Append-only files, one per category, under one folder. One stream per file keeps the lines of
 * concurrent messages whole and in arrival order; `close()` flushes whatever is still buffered.
 */
export class LogFiles {
  readonly #streams = new Map<string, WriteStream>();

  constructor(
    readonly dir: string,
    private readonly onError: (category: string, err: Error) => void,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  append(category: string, line: string): void {
    let stream = this.#streams.get(category);
    if (!stream) {
      stream = createWriteStream(join(this.dir, `${category}.log`), { flags: "a" });
      const opened = stream;
      opened.on("error", (err) => {
        // Forget the broken stream: the next message for this category tries a fresh one.
        if (this.#streams.get(category) === opened) this.#streams.delete(category);
        this.onError(category, err);
      });
      this.#streams.set(category, stream);
    }
    stream.write(line);
  }

  async close(): Promise<void> {
    const streams = [...this.#streams.values()];
    this.#streams.clear();
    await Promise.all(
      streams.map((stream) => new Promise<void>((resolve) => stream.end(resolve).once("error", () => resolve()))),
    );
  }
}

/**
 * The standard operations log sink: writes every message published to `__telestion__/log/<category>`
 * (or `__telestion__.log.<category>`) to `DATA_DIR/logs/<category>.log`.
 *
 * NATS wildcards match whole dot-separated tokens, and `__telestion__/log/x` is a single token, so
 * no wildcard narrower than `>` receives every category: the sink subscribes to `>` and keeps the
 * log subjects. bench/ measures what the unrelated traffic costs.
 */
export function startLogSink(service: Service<unknown>): LogFiles {
  const files = new LogFiles(join(service.dataDir, "logs"), (category, err) => {
    service.errors.record();
    console.error(`[log-sink] cannot write ${category}.log: ${err.message}`);
  });
  // Categories already checked: the checks are regular expressions, and a flood repeats a few categories.
  const approved = new Set<string>();
  service.subscribe(">", (message: Message) => {
    const category = categoryOf(message.subject);
    if (category === undefined) return;
    if (!approved.has(category)) {
      const problem = categoryProblem(category);
      if (problem) throw new Error(`refused log category ${JSON.stringify(category)}: it ${problem}`);
      approved.add(category);
    }
    files.append(category, formatLogLine(message.data, Date.now()));
  });
  service.onStop(() => files.close());
  return files;
}
