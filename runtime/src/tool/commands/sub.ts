/**
 * `telestion sub <subject>`: print every message on a subject (wildcards allowed), one line each with
 * its subject and size; bodies that are not printable text are shown safely (escaped, or as hex).
 */
import type { Msg } from "@nats-io/transport-node";
import { showBody } from "../body.js";
import type { Command } from "../command.js";
import { connectBus, DEV_OPTION, positiveInt } from "../connect.js";
import { printable } from "../../one-line.js";
import { subjectArg } from "../subject-arg.js";

export const sub: Command = {
  name: "sub",
  usage: "sub <subject> [--count <n>]",
  summary: "print the messages on a subject (wildcards * and > allowed) until Ctrl-C",
  help: [
    "  --count <n>  exit after n messages",
    "Each message is one line: <subject> <size> bytes [reply <subject>] <body>. The subscription has no",
    "queue group, so it sees every message without taking any from a service.",
  ],
  options: { ...DEV_OPTION, count: { type: "string" } },
  async run({ values, positionals, config }) {
    const subject = subjectArg(positionals, "sub <subject>", 1, true);
    const count = values["count"] === undefined ? Infinity : positiveInt(values["count"], "--count", 1);
    const nc = await connectBus(config, "sub");
    const subscription = nc.subscribe(subject, { max: Number.isFinite(count) ? count : undefined });
    const stop = () => subscription.unsubscribe();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    // Flushed: the server has the subscription, so whatever is published after this line is seen.
    await nc.flush();
    console.error(`listening on ${printable(subject, 100)}`);
    try {
      for await (const msg of subscription) console.log(line(msg));
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      await nc.close();
    }
    return 0;
  },
};

function line(msg: Msg): string {
  const reply = msg.reply ? ` reply ${printable(msg.reply, 100)}` : "";
  return `${printable(msg.subject, 200)} ${msg.data.byteLength} bytes${reply} ${showBody(msg.data)}`;
}
