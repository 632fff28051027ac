import type { NatsConnection, Subscription } from "@nats-io/transport-node";

/** The seed's subject, and the alias Telestion's reference library answers on. */
export const HEALTH_SUBJECT = "__telestion__/health";
export const HEALTH_SUBJECTS = [HEALTH_SUBJECT, "__telestion__.health"] as const;

export interface HealthReport {
  /** Errors within the last minute (see errors.ts). */
  errors: number;
  /** SERVICE_ID */
  service: string;
  /** SERVICE_NAME */
  name: string;
}

const encoder = new TextEncoder();

/**
 * Answers health requests on both subjects. Callback subscriptions answer straight from the
 * socket reader, so a reply never waits behind other handlers' async work. No queue group:
 * every instance answers, and a probe can look for the one it cares about.
 */
export function serveHealth(nc: NatsConnection, report: () => HealthReport): Subscription[] {
  return HEALTH_SUBJECTS.map((subject) =>
    nc.subscribe(subject, {
      callback: (err, msg) => {
        if (!err) msg.respond(encoder.encode(JSON.stringify(report())));
      },
    }),
  );
}
