/** `telestion pub <subject> [body]`: publish one message (the body as given: JSON stays JSON). */
import { bodyFromArg } from "../body.js";
import type { Command } from "../command.js";
import { connectBus, DEV_OPTION } from "../connect.js";
import { printable } from "../../one-line.js";
import { subjectArg } from "../subject-arg.js";

export const pub: Command = {
  name: "pub",
  usage: "pub <subject> [body]",
  summary: "publish one message (no body: an empty one)",
  help: ["The message is flushed to the server before the command exits; no reply is awaited (see req)."],
  options: { ...DEV_OPTION },
  async run({ positionals, config }) {
    const subject = subjectArg(positionals, "pub <subject> [body]", 2, false);
    const body = bodyFromArg(positionals[1]);
    const nc = await connectBus(config, "pub");
    try {
      nc.publish(subject, body);
      // The server has it once a flush round trip returns.
      await nc.flush();
    } finally {
      await nc.close();
    }
    console.error(`published ${body.byteLength} bytes on ${printable(subject, 100)}`);
    return 0;
  },
};
