import { createInbox } from "@nats-io/transport-node";
import type { ConfigSources } from "./config.js";
import { configuredServiceId, resolveConfig } from "./config.js";
import { HEALTH_REPLY_BOUND_MS, HEALTH_SUBJECT, type HealthReport } from "./health.js";
import { aliveFilePath, notAliveReason, processRuns, readAliveFile, seconds, type AliveRecord } from "./liveness.js";
import { connectNats } from "./nats.js";

/**
 * Asks `__telestion__/health` with the service's own configuration and resolves to the reply of this
 * instance: every service on the bus answers, and so does every other instance of SERVICE_NAME. The
 * instance is the one SERVICE_ID names, else the one whose alive file (liveness.ts) this probe sees (each
 * container has its own), else any of SERVICE_NAME. Rejects with a one-line reason when that reply does
 * not come within `boundMs` or says the instance is not alive (main thread stuck, main connection down).
 */
export async function probeHealth(sources: ConfigSources = {}, boundMs = HEALTH_REPLY_BOUND_MS): Promise<HealthReport> {
  const { config, serviceName } = resolveConfig(sources);
  const configuredId = configuredServiceId(config);
  const file = aliveFilePath(config, serviceName);
  const own = configuredId === undefined ? ownInstance(file, serviceName) : undefined;
  const wantedId = configuredId ?? own?.service;
  const nc = await connectNats(config, { timeoutMs: 2_000 });
  let report: HealthReport | undefined;
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
    report = await reply;
  } finally {
    await nc.close();
  }
  if (!report) {
    const stale = own && Date.now() - own.time > own.boundMs ? `; its alive file ${file} was last written ${seconds(Date.now() - own.time)} ago` : "";
    throw new Error(`no health reply from ${wantedId ?? serviceName} on ${HEALTH_SUBJECT} within ${boundMs} ms${stale}`);
  }
  const why = notAliveReason(report);
  if (why) throw new Error(`${report.service} (${report.name}) answers but is not alive: ${why}`);
  return report;
}

/** This instance's alive record, if a running process wrote one for SERVICE_NAME; a leftover of a dead one is no instance. */
function ownInstance(file: string, serviceName: string): AliveRecord | undefined {
  let record: AliveRecord | undefined;
  try {
    record = readAliveFile(file);
  } catch {
    return undefined; // not the runtime's file: probe by name, as without one
  }
  return record && record.name === serviceName && processRuns(record.pid) ? record : undefined;
}

/**
 * The liveness probe, without NATS (so that a NATS outage restarts no instance): resolves to this
 * instance's alive record when its process runs and its main thread wrote the file within the stall
 * bound; rejects with a one-line reason otherwise.
 */
export function probeLive(sources: ConfigSources = {}, now = Date.now()): AliveRecord {
  const { config, serviceName } = resolveConfig({ ...sources, nats: false });
  const file = aliveFilePath(config, serviceName);
  const record = readAliveFile(file);
  if (!record) {
    throw new Error(`no alive file ${file}: ${serviceName} has not started here (or stopped), or it writes elsewhere (TELESTION_ALIVE_FILE must match)`);
  }
  if (record.name !== serviceName) throw new Error(`the alive file ${file} is of "${record.name}", not of SERVICE_NAME "${serviceName}"`);
  if (!processRuns(record.pid)) throw new Error(`${record.service} (pid ${record.pid}) is not running: it left ${file} behind`);
  const age = now - record.time;
  if (age > record.boundMs) {
    throw new Error(`${record.service} (pid ${record.pid}) last wrote ${file} ${seconds(age)} ago (bound ${seconds(record.boundMs)}): its main thread is stuck (a handler that never returns?)`);
  }
  return record;
}
