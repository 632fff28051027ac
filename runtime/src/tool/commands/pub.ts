/**
 * `telestion pub <subject> [body|-] [--count N]`: publish a message (the body as given: JSON stays
 * JSON), N times, or one message per line of stdin — 1,000 readings in one command instead of 1,000
 * processes.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { bodyFromArg } from "../body.js";
import type { Command } from "../command.js";
import { connectBus, DEV_OPTION, positiveInt } from "../connect.js";
import { printable } from "../../one-line.js";
import { readLines } from "../read-lines.js";
import { subjectArg } from "../subject-arg.js";

const USAGE = "pub <subject> [body|-] [--count N]";

/** A flush round trip after this many messages or bytes bounds what the client buffers for a fast sender. */
const FLUSH_EVERY_MESSAGES = 1_000;
const FLUSH_EVERY_BYTES = 1 << 20;
/** The server's limit when it does not say (nats-server's default max_payload). */
const DEFAULT_MAX_PAYLOAD = 1 << 20;
/** Skipped lines reported one by one; the rest are only counted in the summary. */
const REPORTED_LINES = 20;

export const pub: Command = {
  name: "pub",
  usage: USAGE,
  summary: "publish a message (no body: an empty one), N times, or one per line of stdin",
  help: [
    "  -n, --count N  send each body N times (default 1)",
    "  -              as the body: read bodies from stdin, one per line (its bytes as they are, without",
    "                 the line break; an empty line is an empty body), in order, e.g.",
    "                   telestion pub --dev sensors.reading - < readings.jsonl",
    "A line longer than the server's max_payload is skipped and reported with its number; the others",
    "are still sent, and the command then exits 1. Everything is flushed to the server before the",
    "command exits; no reply is awaited (see req). A body that is just - cannot be sent from here.",
  ],
  options: { ...DEV_OPTION, count: { type: "string", short: "n" } },
  async run({ values, positionals, config }) {
    const subject = subjectArg(positionals, USAGE, 2, false);
    const count = positiveInt(values["count"], "--count", 1);
    const fromStdin = positionals[1] === "-";
    if (fromStdin && process.stdin.isTTY) console.error("reading bodies from the terminal, one per line; Ctrl-D ends");
    const nc = await connectBus(config, "pub");
    const sender = new Sender(nc, subject);
    let skipped = 0;
    try {
      if (fromStdin) {
        skipped = await sendLines(sender, count, nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD);
      } else {
        const body = bodyFromArg(positionals[1]);
        for (let i = 0; i < count; i++) await sender.send(body);
      }
      // The server has everything once a flush round trip returns.
      await nc.flush();
    } finally {
      await nc.close();
    }
    const where = printable(subject, 100);
    if (!fromStdin && count === 1) console.error(`published ${sender.bytes} bytes on ${where}`);
    else console.error(`published ${sender.messages} message(s), ${sender.bytes} bytes, on ${where}`);
    if (skipped === 0) return 0;
    const more = skipped > REPORTED_LINES ? ` (the first ${REPORTED_LINES} named above)` : " (named above)";
    console.error(`skipped ${skipped} line(s) longer than the server's max_payload${more}: nothing else was lost`);
    return 1;
  },
};

/** One line per body from stdin, each `count` times; resolves to how many lines were skipped. */
async function sendLines(sender: Sender, count: number, maxPayload: number): Promise<number> {
  let skipped = 0;
  for await (const line of readLines(process.stdin, maxPayload)) {
    if ("tooLong" in line) {
      if (skipped < REPORTED_LINES) {
        console.error(`line ${line.number}: ${line.tooLong} bytes, more than the server's max_payload (${maxPayload}): skipped`);
      }
      skipped++;
      continue;
    }
    for (let i = 0; i < count; i++) await sender.send(line.bytes);
  }
  return skipped;
}

/** Publishes in order on one connection, with a flush round trip now and then. */
class Sender {
  messages = 0;
  bytes = 0;
  #sinceFlush = { messages: 0, bytes: 0 };

  constructor(
    readonly nc: NatsConnection,
    readonly subject: string,
  ) {}

  async send(body: Uint8Array): Promise<void> {
    this.nc.publish(this.subject, body);
    this.messages++;
    this.bytes += body.byteLength;
    this.#sinceFlush.messages++;
    this.#sinceFlush.bytes += body.byteLength;
    if (this.#sinceFlush.messages >= FLUSH_EVERY_MESSAGES || this.#sinceFlush.bytes >= FLUSH_EVERY_BYTES) {
      this.#sinceFlush = { messages: 0, bytes: 0 };
      await this.nc.flush();
    }
  }
}
