// `telestion logs` reads log files from their end: the pure block reader (bytes read counted), and the
// CLI on a 1 GB (sparse) log, alone, merged with another category, and followed.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatLogLine } from "../../src/index.js";
import { lastLines, TAIL_BLOCK_BYTES } from "../../src/tool/tail.js";
import { runCli, startCli } from "./helpers/cli.js";

/** A reader over `text` that counts the bytes it hands out. */
function counted(text: string | Buffer) {
  const bytes = Buffer.from(text);
  const reader = {
    bytesRead: 0,
    read: (position: number, length: number) => {
      reader.bytesRead += length;
      return bytes.subarray(position, position + length);
    },
  };
  return { reader, size: bytes.byteLength };
}

/** The same answer the slow way: the whole text split. */
function naive(text: string, count: number) {
  const last = text.lastIndexOf("\n");
  const complete = last < 0 ? [] : text.slice(0, last).split("\n");
  return { lines: count === 0 ? [] : complete.slice(-count), partial: text.slice(last + 1), end: last + 1 };
}

describe("lastLines", () => {
  it("a 1 GB file: the last 100 lines, reading one block of it", () => {
    const LINE = 64; // fixed-width lines, so any byte of the file can be made up on the spot
    const SIZE = 1 << 30;
    const lineAt = (n: number) => `${new Date(n * 1_000).toISOString()} {"reading":${String(n).padStart(21, "0")}}`.padEnd(LINE - 1) + "\n";
    let bytesRead = 0;
    const read = (position: number, length: number) => {
      bytesRead += length;
      let text = "";
      for (let n = Math.floor(position / LINE); n * LINE < position + length; n++) text += lineAt(n);
      const start = position % LINE;
      return Buffer.from(text.slice(start, start + length));
    };
    const tail = lastLines(read, SIZE, 100);
    const lastN = SIZE / LINE - 1;
    expect(tail.lines.map(String)).toEqual(Array.from({ length: 100 }, (_, i) => lineAt(lastN - 99 + i).slice(0, -1)));
    expect(tail.partial.byteLength).toBe(0);
    expect(tail.end).toBe(SIZE);
    // 101 line breaks fit in the first block read: nothing else of the gigabyte is touched.
    expect(bytesRead).toBe(TAIL_BLOCK_BYTES);
  });

  it("reads no more than the lines asked for plus one block, however long the file", () => {
    const text = "x".repeat(99) + "\n";
    const { reader, size } = counted(text.repeat(50_000)); // 5 MB
    const tail = lastLines(reader.read, size, 2_000, 4_096);
    expect(tail.lines).toHaveLength(2_000);
    expect(reader.bytesRead).toBeGreaterThanOrEqual(2_001 * 100);
    expect(reader.bytesRead).toBeLessThanOrEqual(2_001 * 100 + 4_096);
  });

  it("agrees with splitting the whole text, for any text, block size and count", () => {
    let seed = 42;
    const random = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
    for (let round = 0; round < 2_000; round++) {
      const text = Array.from({ length: random(30) }, () => "ab\n"[random(3)]).join("");
      const count = random(6);
      const block = 1 + random(9);
      const { reader, size } = counted(text);
      const tail = lastLines(reader.read, size, count, block);
      const context = JSON.stringify({ text, count, block });
      expect({ lines: tail.lines.map(String), partial: String(tail.partial), end: tail.end }, context).toEqual(naive(text, count));
    }
  });

  it("an empty file, a file without any line break", () => {
    expect(lastLines(counted("").reader.read, 0, 5)).toEqual({ lines: [], partial: Buffer.alloc(0), end: 0 });
    const { reader, size } = counted("no break yet");
    expect(lastLines(reader.read, size, 5)).toEqual({ lines: [], partial: Buffer.from("no break yet"), end: 0 });
  });
});

describe("telestion logs on a 1 GB log", () => {
  let dataDir: string;
  let big: string;
  const at = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 1_000);
  const line = (i: number) => formatLogLine(new TextEncoder().encode(JSON.stringify({ i })), at(i));

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), "telestion-logs-tail-"));
    mkdirSync(join(dataDir, "logs"));
    big = join(dataDir, "logs", "big.log");
    // One real line, then a sparse gigabyte (no disk used), then 1,000 real lines at the end.
    writeFileSync(big, line(0));
    truncateSync(big, 1 << 30);
    appendFileSync(big, "\n" + Array.from({ length: 1_000 }, (_, i) => line(2 * i + 1)).join(""));
    // Another category whose lines fall between big's last ones.
    writeFileSync(join(dataDir, "logs", "small.log"), [1_994, 1_996, 1_998, 2_000].map(line).join(""));
  });

  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const shown = (i: number, category = "") => `${at(i).toISOString()}${category && ` ${category}`} {"i":${i}}`;

  it("-n 3: the last three lines, oldest first", async () => {
    expect(statSync(big).size).toBeGreaterThan(1 << 30);
    const { code, stdout, stderr } = await runCli(["logs", "big", "-n", "3", `--DATA_DIR=${dataDir}`]);
    expect(stderr).toBe("");
    expect(stdout).toBe([1_995, 1_997, 1_999].map((i) => shown(i)).join("\n") + "\n");
    expect(code).toBe(0);
  });

  it("no category: the last lines of all, merged by time", async () => {
    const { code, stdout } = await runCli(["logs", "--lines=5", `--DATA_DIR=${dataDir}`]);
    expect(stdout.trim().split("\n")).toEqual([
      shown(1_996, "small"),
      shown(1_997, "big"),
      shown(1_998, "small"),
      shown(1_999, "big"),
      shown(2_000, "small"),
    ]);
    expect(code).toBe(0);
  });

  it("default: the last 100 lines", async () => {
    const { stdout } = await runCli(["logs", "big", `--DATA_DIR=${dataDir}`]);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(100);
    expect(lines[0]).toBe(shown(1_801));
    expect(lines.at(-1)).toBe(shown(1_999));
  });

  it("--follow: the last lines, then only what is written after", async () => {
    const follower = startCli(["logs", "big", "-n", "2", "--follow", `--DATA_DIR=${dataDir}`]);
    try {
      await follower.waitFor(new RegExp(`"i":1999`));
      appendFileSync(big, line(3_000));
      await follower.waitFor(/"i":3000/);
    } finally {
      follower.kill("SIGINT");
    }
    const { code, stdout } = await follower.finished;
    expect(stdout).toBe([shown(1_997), shown(1_999), shown(3_000)].join("\n") + "\n");
    expect(code).toBe(0);
  });

  it("--lines 0 is bad input", async () => {
    const { code, stderr } = await runCli(["logs", "big", "--lines", "0", `--DATA_DIR=${dataDir}`]);
    expect(stderr).toBe('telestion logs: --lines needs a positive whole number, got "0"\n');
    expect(code).toBe(2);
  });
});
