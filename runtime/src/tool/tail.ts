/**
 * The last lines of a file, read from its end in fixed-size blocks: a 1 GB log costs what its last
 * lines cost (bytes read: those lines plus at most one block), not the whole file.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** Bytes read per step backwards. */
export const TAIL_BLOCK_BYTES = 64 * 1024;

export interface Tail {
  /** The last complete lines (each without its `\n`), oldest first; at most the number asked for. */
  lines: Buffer[];
  /** Bytes after the last `\n`: a line still being written (or a file that does not end with one). */
  partial: Buffer;
  /** The offset just after the last `\n`: where following the file goes on. */
  end: number;
}

/**
 * The last `count` lines of `size` bytes that `read(position, length)` returns, reading blocks
 * backwards until `count` line breaks before the last one are found (or the start is reached).
 */
export function lastLines(read: (position: number, length: number) => Buffer, size: number, count: number, blockBytes = TAIL_BLOCK_BYTES): Tail {
  const blocks: Buffer[] = [];
  let from = size;
  let breaks = 0;
  // count lines end at count line breaks; one more break marks where the first of them starts.
  while (from > 0 && breaks < count + 1) {
    const length = Math.min(blockBytes, from);
    from -= length;
    const block = read(from, length);
    blocks.unshift(block);
    for (let at = block.indexOf(0x0a); at >= 0; at = block.indexOf(0x0a, at + 1)) breaks++;
  }
  const bytes = Buffer.concat(blocks);
  const last = bytes.lastIndexOf(0x0a);
  const partial = bytes.subarray(last + 1);
  if (last < 0) return { lines: [], partial, end: from };
  const pieces: Buffer[] = [];
  // From the last break backwards: a piece is complete when a break (or the file's start) precedes it.
  // (lastIndexOf counts a negative offset from the end, hence the guard.)
  for (let stop = last; pieces.length < count; ) {
    const at = stop > 0 ? bytes.lastIndexOf(0x0a, stop - 1) : -1;
    if (at < 0 && from > 0) break; // the piece begins before what was read
    pieces.unshift(bytes.subarray(at + 1, stop));
    if (at < 0) break;
    stop = at;
  }
  return { lines: pieces, partial, end: from + last + 1 };
}

/** lastLines of a file on disk, read through one file descriptor. */
export function tailFile(path: string, count: number): Tail {
  const fd = openSync(path, "r");
  try {
    const read = (position: number, length: number) => {
      const buffer = Buffer.alloc(length);
      return buffer.subarray(0, readSync(fd, buffer, 0, length, position));
    };
    return lastLines(read, fstatSync(fd).size, count);
  } finally {
    closeSync(fd);
  }
}
