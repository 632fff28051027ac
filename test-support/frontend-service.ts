// The service the browser test's frontend talks to, on telestion-runtime's sources: one reply handler
// and one publisher, as a generated project would register them.
import { runService } from "../runtime/src/index.js";

void runService((service) => {
  service.reply("frontend.echo", (message) => ({ echo: message.json() }));
  let reading = 0;
  service.publishEvery("frontend.telemetry", 100, () => ({ reading: ++reading }));
  console.log(`ready ${service.serviceId}`);
});
