/**
 * `tail -f` for log files: polls (fs.watch is unreliable on network and container file systems),
 * prints whole lines only, starts over when a file shrank (rotated or truncated), and picks up files
 * that appear later. Resolves on SIGINT/SIGTERM. A file in `start` is followed from that offset (the
 * end of what was already shown), any other from its beginning.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import type { LogFile } from "./commands/logs.js";

const POLL_MS = 200;
/** At most this much of one file is read per poll, so a file that appears at 1 GB is read in steps. */
const MAX_READ_BYTES = 4 * 1024 * 1024;

export async function followFiles(
  list: () => LogFile[],
  onLine: (file: LogFile, text: string) => void,
  start: ReadonlyMap<string, number> = new Map(),
): Promise<void> {
  // `partial` holds the bytes after the last newline: a line being written, maybe cut inside a character.
  const state = new Map<string, { offset: number; partial: Buffer }>();
  const poll = () => {
    for (const file of list()) {
      let s = state.get(file.path);
      if (!s) state.set(file.path, (s = { offset: start.get(file.path) ?? 0, partial: Buffer.alloc(0) }));
      let size: number;
      try {
        size = statSync(file.path).size;
      } catch {
        continue; // removed meanwhile
      }
      if (size < s.offset) Object.assign(s, { offset: 0, partial: Buffer.alloc(0) });
      if (size === s.offset) continue;
      const chunk = readRange(file.path, s.offset, Math.min(size, s.offset + MAX_READ_BYTES));
      s.offset += chunk.byteLength;
      const bytes = Buffer.concat([s.partial, chunk]);
      const end = bytes.lastIndexOf(0x0a) + 1;
      s.partial = bytes.subarray(end);
      for (const text of bytes.subarray(0, end).toString("utf8").split("\n")) if (text) onLine(file, text);
    }
  };
  await new Promise<void>((resolve) => {
    const stop = () => {
      clearInterval(timer);
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    // Ctrl-C is handled before the first line is printed: a reader that stops at a line it saw must
    // not kill the process with the default action.
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    const timer = setInterval(poll, POLL_MS);
    poll();
  });
}

function readRange(path: string, from: number, to: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(to - from);
    const read = readSync(fd, buffer, 0, buffer.byteLength, from);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
