/** `telestion req <subject> [body]`: one request, its reply (and error headers), non-zero without one. */
import { errors, type Msg } from "@nats-io/transport-node";
import { ERROR_CODE_HEADER, ERROR_HEADER } from "../../index.js";
import { bodyFromArg, showBody } from "../body.js";
import type { Command } from "../command.js";
import { connectBus, DEV_OPTION, positiveInt } from "../connect.js";
import { printable } from "../../one-line.js";
import { subjectArg } from "../subject-arg.js";

const DEFAULT_TIMEOUT_MS = 5_000;

export const req: Command = {
  name: "req",
  usage: "req <subject> [body] [--timeout <ms>]",
  summary: "send a request (the body as given: JSON stays JSON) and print the reply",
  help: [
    `  --timeout <ms>  how long to wait for the reply (default ${DEFAULT_TIMEOUT_MS})`,
    "The reply body goes to stdout (binary shown as hex). Exit 1 when nobody answers, no reply comes in",
    `time, or the responder failed (its ${ERROR_HEADER} and ${ERROR_CODE_HEADER} headers go to stderr).`,
  ],
  options: { ...DEV_OPTION, timeout: { type: "string" } },
  async run({ values, positionals, config }) {
    const subject = subjectArg(positionals, "req <subject> [body]", 2, false);
    const timeout = positiveInt(values["timeout"], "--timeout", DEFAULT_TIMEOUT_MS);
    const nc = await connectBus(config, "req");
    let reply: Msg;
    try {
      reply = await nc.request(subject, bodyFromArg(positionals[1]), { timeout });
    } catch (err) {
      console.error(`telestion req: ${noReply(err, subject, timeout)}`);
      return 1;
    } finally {
      await nc.close();
    }
    console.log(showBody(reply.data, true));
    const error = reply.headers?.get(ERROR_HEADER);
    if (!error) return 0;
    const code = reply.headers?.get(ERROR_CODE_HEADER) ?? "";
    console.error(`${ERROR_CODE_HEADER}: ${printable(code, 20)}`);
    console.error(`${ERROR_HEADER}: ${printable(error)}`);
    return 1;
  },
};

function noReply(err: unknown, subject: string, timeout: number): string {
  const shown = printable(subject, 100);
  const noResponders = err instanceof errors.RequestError ? err.isNoResponders() : err instanceof errors.NoRespondersError;
  if (noResponders) return `nobody answers on ${shown} (no subscriber): is the service running and replying there?`;
  if (err instanceof errors.TimeoutError || (err as Error)?.cause instanceof errors.TimeoutError) {
    return `no reply on ${shown} within ${timeout} ms`;
  }
  return `request on ${shown} failed: ${printable(String((err as Error)?.message ?? err))}`;
}
