/** A connection for one command, with the runtime's connect rules (fails fast, never shows the password). */
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../index.js";
import { natsConfig, type ConfigFlags } from "./bus-config.js";
import { printable } from "../one-line.js";
import { UsageError } from "./usage-error.js";

export async function connectBus(flags: ConfigFlags, command: string): Promise<NatsConnection> {
  // The name shows in the server's /connz, so an operator can tell the tool from services.
  return connectNats(natsConfig(flags), { name: `telestion ${command}` });
}

/** `--dev` for the commands that talk to the bus. */
export const DEV_OPTION = { dev: { type: "boolean" } } as const;

/** A positive whole number of milliseconds (or a count) from an option, else bad input naming it. */
export function positiveInt(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new UsageError(`${option} needs a positive whole number, got "${printable(String(value), 40)}"`);
  }
  return n;
}
