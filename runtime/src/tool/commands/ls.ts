/**
 * `telestion ls`: who is running. Every instance answers `__telestion__/health` (no queue group), so
 * one request with an inbox gathers them all within a short window: the Telestion `nats micro ls`.
 */
import { createInbox, type NatsConnection } from "@nats-io/transport-node";
import { HEALTH_SUBJECT } from "../../index.js";
import type { Command } from "../command.js";
import { connectBus, DEV_OPTION, positiveInt } from "../connect.js";
import { printable } from "../../one-line.js";
import { notAliveReason } from "../../liveness.js";

export interface Instance {
  name: string;
  id: string;
  errors: number | null;
  replyMs: number;
  /** Set when the reply was not the standard's JSON. */
  problem?: string;
}

/** The standard's bound for a health reply, plus a margin for the network. */
const DEFAULT_WAIT_MS = 600;

export const ls: Command = {
  name: "ls",
  usage: "ls [--wait <ms>] [--json]",
  summary: "list the running service instances (health replies), grouped by service name",
  help: [
    `  --wait <ms>   how long to gather health replies (default ${DEFAULT_WAIT_MS})`,
    "  --json        print the instances as JSON",
  ],
  options: { ...DEV_OPTION, wait: { type: "string" }, json: { type: "boolean" } },
  async run({ values, config }) {
    const waitMs = positiveInt(values["wait"], "--wait", DEFAULT_WAIT_MS);
    const nc = await connectBus(config, "ls");
    let instances: Instance[];
    try {
      instances = await gatherHealth(nc, waitMs);
    } finally {
      await nc.close();
    }
    instances.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    if (values["json"]) console.log(JSON.stringify(instances, null, 2));
    else if (instances.length > 0) console.log(table(instances));
    if (instances.length > 0) return 0;
    // Exit 1, as `req` does when nobody answers: a script can tell an empty bus from a running one.
    console.error(`telestion ls: no service answered ${HEALTH_SUBJECT} within ${waitMs} ms: start a service, or wait longer with --wait <ms>`);
    return 1;
  },
};

/** Every health reply that arrives within `waitMs` of one request (no queue group: all instances answer). */
async function gatherHealth(nc: NatsConnection, waitMs: number): Promise<Instance[]> {
  const inbox = createInbox();
  const instances: Instance[] = [];
  const sentAt = performance.now();
  const sub = nc.subscribe(inbox, {
    callback: (err, msg) => {
      // The server's "no responders" status (503, empty body) is no instance: nobody subscribes to health.
      if (err || msg.headers?.code === 503) return;
      const row = instance(msg.data, performance.now() - sentAt);
      // An instance handing health over to its health thread may answer twice: one row for it all the same.
      if (row.id === "?" || !instances.some((i) => i.id === row.id && i.name === row.name)) instances.push(row);
    },
  });
  nc.publish(HEALTH_SUBJECT, new Uint8Array(0), { reply: inbox });
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  sub.unsubscribe();
  return instances;
}

/** One health reply as a row; whatever a service sent, the row stays printable. */
export function instance(data: Uint8Array, replyMs: number): Instance {
  const row = { replyMs: Math.round(replyMs) };
  let report: unknown;
  try {
    report = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return { name: "?", id: "?", errors: null, ...row, problem: `not JSON (${data.byteLength} bytes)` };
  }
  const { name, service, errors } = (typeof report === "object" && report !== null ? report : {}) as Record<string, unknown>;
  const result: Instance = {
    name: typeof name === "string" ? name : "?",
    id: typeof service === "string" ? service : "?",
    errors: typeof errors === "number" ? errors : null,
    ...row,
  };
  const missing = [typeof name !== "string" && "name", typeof service !== "string" && "service", typeof errors !== "number" && "errors"].filter(Boolean);
  if (missing.length > 0) result.problem = `no ${missing.join(", ")} in the reply`;
  // An instance that answers but says it does not work (main thread stuck, its own connection down).
  const why = notAliveReason(report);
  if (why && !result.problem) result.problem = `not alive: ${why}`;
  return result;
}

function table(instances: Instance[]): string {
  const rows = instances.map((i) => [printable(i.name, 60), printable(i.id, 60), i.errors === null ? "?" : String(i.errors), `${i.replyMs} ms`, i.problem ?? ""]);
  const header = ["SERVICE", "INSTANCE", "ERRORS", "REPLY", ""];
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((row) => row[col]!.length)));
  const line = (cells: string[]) => cells.map((cell, col) => cell.padEnd(widths[col]!)).join("  ").trimEnd();
  // Grouped by service name: the name is printed once per group.
  const lines = rows.map((row, i) => line(i > 0 && instances[i - 1]!.name === instances[i]!.name ? ["", ...row.slice(1)] : row));
  const services = new Set(instances.map((i) => i.name)).size;
  return [line(header), ...lines, "", `${instances.length} instance(s) of ${services} service(s)`].join("\n");
}
