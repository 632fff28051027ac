import { connect, errors, type NatsConnection } from "@nats-io/transport-node";
import { AsyncLocalStorage } from "node:async_hooks";
import diagnostics from "node:diagnostics_channel";
import type { Socket } from "node:net";
import { natsServers, type BaseConfig } from "./config.js";

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** The first connect failed; the message says why and never contains the password. */
export class NatsConnectError extends Error {
  override name = "NatsConnectError";
}

export interface ConnectOptions {
  /** Bound for the first connect (default 5 s). */
  timeoutMs?: number;
  /** Shown by the server (e.g. in /connz) to tell clients apart. */
  name?: string;
}

/**
 * Connects with the configured credentials. The first connect fails fast with a message that tells
 * an unreachable server from refused credentials; once connected, the client reconnects forever.
 */
export async function connectNats(config: BaseConfig, options: ConnectOptions = {}): Promise<NatsConnection> {
  const servers = natsServers(config.NATS_URL);
  const where = servers.map(redactUrl).join(", ");
  const user = config.NATS_USER || undefined;
  const timeout = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;

  const sockets = new AttemptSockets();
  let nc: NatsConnection;
  try {
    nc = await sockets.run(() => connect({
      servers,
      ...(user !== undefined ? { user, pass: config.NATS_PASSWORD ?? "" } : {}),
      name: options.name,
      timeout,
      reconnect: true,
      maxReconnectAttempts: -1,
      waitOnFirstConnect: false,
    }));
  } catch (err) {
    // The client leaves a socket open when a server accepts TCP but never speaks NATS,
    // which would keep a failed process alive: close what this attempt opened.
    sockets.destroyAll();
    throw describeConnectError(err, where, user, timeout);
  } finally {
    sockets.stop();
  }
  return nc;
}

function describeConnectError(err: unknown, where: string, user: string | undefined, timeout: number): NatsConnectError {
  if (err instanceof errors.AuthorizationError || (err instanceof Error && /authoriz/i.test(err.message))) {
    return new NatsConnectError(
      user === undefined
        ? `NATS server at ${where} requires authentication: set NATS_USER and NATS_PASSWORD`
        : `NATS server at ${where} refused the credentials of user "${user}" (authorization violation): check NATS_USER and NATS_PASSWORD`,
    );
  }
  if (err instanceof errors.TimeoutError) {
    return new NatsConnectError(
      `no NATS server answered at ${where} within ${timeout} ms: check NATS_URL (is it a NATS port?) and that the server is running`,
    );
  }
  if (err instanceof TypeError && /invalid url/i.test(err.message)) {
    return new NatsConnectError(`NATS_URL "${where}" is not a valid server address: use host:port or nats://host:port`);
  }
  const cause = err instanceof Error ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
  const reason = cause?.code ?? (err instanceof Error ? err.message : String(err));
  return new NatsConnectError(`cannot reach NATS server at ${where} (${reason}): check NATS_URL and that nats-server is running`);
}

/** Strips user info from a server URL: a password may be written into NATS_URL itself. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, "//");
}

/**
 * The TCP sockets one connect attempt opens. Node's `net.client.socket` channel announces every client
 * socket of the process; the attempt runs inside its own AsyncLocalStorage context, and only sockets
 * created within that context are the attempt's, so another connection (to the same port, or still
 * connecting) is never touched.
 */
class AttemptSockets {
  readonly #context = new AsyncLocalStorage<AttemptSockets>();
  readonly #sockets: Socket[] = [];
  readonly #channel = diagnostics.channel("net.client.socket");
  readonly #onSocket = (message: unknown) => {
    if (this.#context.getStore() === this) this.#sockets.push((message as { socket: Socket }).socket);
  };

  run<T>(fn: () => Promise<T>): Promise<T> {
    this.#channel.subscribe(this.#onSocket);
    return this.#context.run(this, fn);
  }

  destroyAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  stop(): void {
    this.#channel.unsubscribe(this.#onSocket);
  }
}
