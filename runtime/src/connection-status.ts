import type { NatsConnection } from "@nats-io/transport-node";
import { redactUrl } from "./nats.js";
import { oneLine } from "./one-line.js";

/** An event-loop stall this long, this recently, explains a disconnect as a slow consumer. */
const STALL_MS = 1_000;
const STALL_MEMORY_MS = 30_000;
const TICK_MS = 200;

export interface StatusReport {
  /** Where the lines go (stderr by default). */
  notify: (line: string) => void;
  /** A problem that health counts as an error (a likely slow-consumer disconnect, a server error). */
  onProblem: () => void;
}

/**
 * Reports the connection's changes on stderr. A NATS server closes the connection of a client that
 * does not read its messages fast enough (a slow consumer) without telling it why, so the client sees
 * only a disconnect; when the event loop was stalled just before, that is the likely cause, and the
 * line says so and counts it.
 */
export async function reportConnectionStatus(nc: NatsConnection, report: StatusReport): Promise<void> {
  const stalls = watchStalls();
  try {
    for await (const status of nc.status()) {
      if (status.type === "disconnect") {
        const stall = stalls.recent();
        if (stall !== undefined) {
          report.onProblem();
          report.notify(
            `[telestion] disconnected from NATS at ${redactUrl(status.server)}, probably as a slow consumer: the ` +
              `event loop was blocked for ${stall} ms, so the server dropped messages for this service and closed ` +
              `the connection (keep handlers short or make them async); reconnecting`,
          );
        } else {
          report.notify(`[telestion] disconnected from NATS at ${redactUrl(status.server)}; reconnecting`);
        }
      } else if (status.type === "reconnect") {
        report.notify(`[telestion] reconnected to NATS at ${redactUrl(status.server)}`);
      } else if (status.type === "error") {
        report.onProblem();
        report.notify(`[telestion] NATS server error: ${oneLine(status.error)}`);
      }
    }
  } finally {
    stalls.stop();
  }
}

/** Notices when a timer fires late by STALL_MS or more: the event loop was blocked that long. */
function watchStalls(): { recent(): number | undefined; stop(): void } {
  let last = Date.now();
  let stallMs = 0;
  let stallEndedAt = Number.NEGATIVE_INFINITY;
  const timer = setInterval(() => {
    const now = Date.now();
    const late = now - last - TICK_MS;
    last = now;
    if (late >= STALL_MS) {
      stallMs = late;
      stallEndedAt = now;
    }
  }, TICK_MS);
  timer.unref();
  return {
    // The disconnect is often handled in the same turn that ends the stall, before the timer fires.
    recent: () => {
      const sinceTick = Date.now() - last - TICK_MS;
      if (sinceTick >= STALL_MS) return sinceTick;
      return Date.now() - stallEndedAt < STALL_MEMORY_MS ? stallMs : undefined;
    },
    stop: () => clearInterval(timer),
  };
}
