import { connect, errors, type NatsConnection } from "@nats-io/transport-node";
import diagnostics from "node:diagnostics_channel";
import type { Socket } from "node:net";
import type { BaseConfig } from "./config.js";

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
  /** Where disconnect/reconnect notices go (default stderr). */
  notify?: (line: string) => void;
}

/**
 * Connects with the configured credentials. The first connect fails fast with a message that tells
 * an unreachable server from refused credentials; once connected, the client reconnects forever.
 */
export async function connectNats(config: BaseConfig, options: ConnectOptions = {}): Promise<NatsConnection> {
  const servers = config.NATS_URL.split(",").map((s) => s.trim()).filter(Boolean);
  const where = servers.map(redactUrl).join(", ");
  const user = config.NATS_USER || undefined;
  const timeout = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const notify = options.notify ?? ((line: string) => console.error(line));

  const sockets = trackSockets(new Set(servers.map(serverPort)));
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      ...(user !== undefined ? { user, pass: config.NATS_PASSWORD ?? "" } : {}),
      name: options.name,
      timeout,
      reconnect: true,
      maxReconnectAttempts: -1,
      waitOnFirstConnect: false,
    });
  } catch (err) {
    // The client leaves a socket open when a server accepts TCP but never speaks NATS,
    // which would keep a failed process alive: close what this attempt opened.
    sockets.destroyAll();
    throw describeConnectError(err, where, user, timeout);
  } finally {
    sockets.stop();
  }
  void reportStatus(nc, notify);
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

async function reportStatus(nc: NatsConnection, notify: (line: string) => void): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === "disconnect") notify(`[telestion] disconnected from NATS at ${redactUrl(status.server)}; reconnecting`);
    else if (status.type === "reconnect") notify(`[telestion] reconnected to NATS at ${redactUrl(status.server)}`);
    else if (status.type === "slowConsumer") notify(`[telestion] slow consumer on "${status.sub.getSubject()}": ${status.pending} messages pending`);
  }
}

function serverPort(server: string): number {
  const match = /:(\d+)\/?$/.exec(server);
  return match ? Number(match[1]) : 4222;
}

/**
 * Collects the TCP sockets created while it listens (Node's `net.client.socket` channel);
 * only those connected to one of the NATS ports are destroyed, never another part's sockets.
 */
function trackSockets(ports: Set<number>): { destroyAll(): void; stop(): void } {
  const sockets: Socket[] = [];
  const channel = diagnostics.channel("net.client.socket");
  const onSocket = (message: unknown) => sockets.push((message as { socket: Socket }).socket);
  channel.subscribe(onSocket);
  return {
    destroyAll: () => {
      for (const socket of sockets) if (socket.remotePort === undefined || ports.has(socket.remotePort)) socket.destroy();
    },
    stop: () => channel.unsubscribe(onSocket),
  };
}
