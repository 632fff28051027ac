// The health thread (started by health-thread.ts): its own NATS connection, so that health requests
// neither queue behind the service's traffic nor wait for its event loop; the figures come from the
// service's shared buffers, the main thread's heartbeat included (so that a hung main thread shows as
// such instead of being covered by this thread's replies). It says { ready: true } once the server has
// its subscriptions.
import { parentPort, workerData } from "node:worker_threads";
import { RecentErrors } from "./errors.js";
import { answerHealth, healthReport, type HealthSource } from "./health.js";
import type { HealthThreadData, HealthThreadStatus } from "./health-thread.js";
import { Heartbeat } from "./liveness.js";
import { HandlerLoad } from "./load.js";
import { connectNats } from "./nats.js";
import { oneLine } from "./one-line.js";

const data = workerData as HealthThreadData;
const say = (status: HealthThreadStatus) => parentPort?.postMessage(status);

// Not top-level await: the executable runs this file as CommonJS.
void (async () => {
  try {
    const nc = await connectNats(data.nats, { name: `${data.serviceId} (health)` });
    const source: HealthSource = {
      errors: new RecentErrors(Date.now, data.errors),
      load: new HandlerLoad(data.load),
      heartbeat: Heartbeat.view(data.heartbeat),
      serviceId: data.serviceId,
      serviceName: data.serviceName,
    };
    answerHealth(nc, () => healthReport(source));
    await nc.flush();
    say({ ready: true });
  } catch (err) {
    say({ error: oneLine(err) });
  }
})();
