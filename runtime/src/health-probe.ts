import { createInbox } from "@nats-io/transport-node";
import type { ConfigSources } from "./config.js";
import { resolveConfig } from "./config.js";
import { HEALTH_REPLY_BOUND_MS, HEALTH_SUBJECT, type HealthReport } from "./health.js";
import { connectNats } from "./nats.js";

/**
 * Asks `__telestion__/health` with the service's own configuration and resolves to the reply of an
 * instance named SERVICE_NAME (and SERVICE_ID, when configured): every service on the bus answers,
 * and a container's health is that of its own service, not the first to reply.
 */
export async function probeHealth(sources: ConfigSources = {}, boundMs = HEALTH_REPLY_BOUND_MS): Promise<HealthReport> {
  const { config, serviceName } = resolveConfig(sources);
  const wantedId = typeof config.SERVICE_ID === "string" && config.SERVICE_ID !== "" ? config.SERVICE_ID : undefined;
  const nc = await connectNats(config, { timeoutMs: 2_000 });
  try {
    const inbox = createInbox();
    const reply = new Promise<HealthReport | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), boundMs);
      nc.subscribe(inbox, {
        callback: (err, msg) => {
          if (err) return;
          let report: HealthReport;
          try {
            report = msg.json<HealthReport>();
          } catch {
            return;
          }
          if (report.name === serviceName && (wantedId === undefined || report.service === wantedId)) {
            clearTimeout(timer);
            resolve(report);
          }
        },
      });
    });
    nc.publish(HEALTH_SUBJECT, new Uint8Array(0), { reply: inbox });
    const report = await reply;
    if (!report) {
      throw new Error(`no health reply from ${wantedId ?? serviceName} on ${HEALTH_SUBJECT} within ${boundMs} ms`);
    }
    return report;
  } finally {
    await nc.close();
  }
}
