// What the Telestion frontend does on the bus, as a page script: test/frontend-browser.test.ts bundles
// it for the browser (esbuild, global `frontend`) and calls these functions in Chromium.
import { wsconnect, type NatsConnection } from "@nats-io/nats-core";

export interface Login {
  url: string;
  user: string;
  pass: string;
}

export interface Session {
  /** The reply of `frontend.echo` to `{ "from": "browser" }`. */
  reply: unknown;
  /** The first message the service published on `frontend.telemetry`. */
  telemetry: unknown;
  /** The answer on `__telestion__/health`. */
  health: unknown;
}

/** Logs in as the frontend's login form does: a WebSocket connection with user and password. */
function connect({ url, user, pass }: Login): Promise<NatsConnection> {
  return wsconnect({ servers: url, user, pass, name: `frontend-${user}`, reconnect: false });
}

/** Logs in and out: "ok", or the error that refused the login, as "Name: message". */
export async function tryLogin(login: Login): Promise<string> {
  try {
    const nc = await connect(login);
    await nc.close();
    return "ok";
  } catch (err) {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
}

/** A request to the service, a message it publishes, and its health, over one login. */
export async function session(login: Login): Promise<Session> {
  const nc = await connect(login);
  try {
    const reply = await nc.request("frontend.echo", JSON.stringify({ from: "browser" }), { timeout: 5_000 });
    // `timeout` ends the wait with an error when nothing arrives.
    const sub = nc.subscribe("frontend.telemetry", { max: 1, timeout: 5_000 });
    let telemetry: unknown;
    for await (const msg of sub) telemetry = msg.json();
    const health = await nc.request("__telestion__/health", "", { timeout: 5_000 });
    return { reply: reply.json(), telemetry, health: health.json() };
  } finally {
    await nc.close();
  }
}
