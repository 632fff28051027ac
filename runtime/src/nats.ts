import { connect, errors, type NatsConnection } from "@nats-io/transport-node";
import { AsyncLocalStorage } from "node:async_hooks";
import diagnostics from "node:diagnostics_channel";
import type { Socket } from "node:net";
import { natsServers, type BaseConfig } from "./config.js";
import { readTlsFiles, tlsRefusal, TlsFileError, type TlsContents } from "./nats-tls.js";

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
  let tls: TlsContents | undefined;
  try {
    tls = readTlsFiles(config);
  } catch (err) {
    if (err instanceof TlsFileError) throw new NatsConnectError(err.message);
    throw err;
  }

  const sockets = new AttemptSockets();
  let nc: NatsConnection;
  try {
    nc = await sockets.run(() => connect({
      servers,
      ...(user !== undefined ? { user, pass: config.NATS_PASSWORD ?? "" } : {}),
      name: options.name,
      ...(tls ? { tls } : {}),
      timeout,
      reconnect: true,
      maxReconnectAttempts: -1,
      waitOnFirstConnect: false,
    }));
  } catch (err) {
    // The client leaves a socket open when a server accepts TCP but never speaks NATS,
    // which would keep a failed process alive: close what this attempt opened.
    sockets.destroyAll();
    // A server that refuses the client certificate drops the connection after the handshake, which the
    // client reports as a timeout: ask the server why (it answers with a TLS alert) before saying that
    // nobody answered.
    const refusal =
      err instanceof errors.TimeoutError && tls ? await tlsRefusal(servers[0]!, tls, Math.min(timeout, 2_000)) : undefined;
    if (refusal !== undefined) throw describeTlsRefusal(refusal, where, config);
    throw describeConnectError(err, where, config, timeout);
  } finally {
    sockets.stop();
  }
  return nc;
}

function describeConnectError(err: unknown, where: string, config: BaseConfig, timeout: number): NatsConnectError {
  const user = config.NATS_USER || undefined;
  if (err instanceof errors.AuthorizationError || (err instanceof Error && /authoriz/i.test(err.message))) {
    if (user === undefined) return new NatsConnectError(`NATS server at ${where} requires authentication: set NATS_USER and NATS_PASSWORD`);
    if (!config.NATS_PASSWORD) {
      return new NatsConnectError(`NATS server at ${where} refused user "${user}" with an empty NATS_PASSWORD: set NATS_PASSWORD to the user's password`);
    }
    return new NatsConnectError(
      `NATS server at ${where} refused the credentials of user "${user}" (authorization violation): check NATS_USER and NATS_PASSWORD`,
    );
  }
  const tlsProblem = describeTlsError(err, where, config);
  if (tlsProblem) return tlsProblem;
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

/** Node's codes for a server certificate that fails verification (see tls.connect's `rejectUnauthorized`). */
const UNTRUSTED_CERT = new RegExp(
  "^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN" +
    "|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_SIGNATURE_FAILURE|CERT_UNTRUSTED)$",
);

/** A failed TLS handshake or a server without TLS, as one line naming the variable to fix; undefined for other errors. */
function describeTlsError(err: unknown, where: string, config: BaseConfig): NatsConnectError | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as NodeJS.ErrnoException).code ?? "";
  if (UNTRUSTED_CERT.test(code)) {
    return new NatsConnectError(
      config.NATS_TLS_CA
        ? `the TLS certificate of NATS server at ${where} is not signed by NATS_TLS_CA ${config.NATS_TLS_CA} ` +
            `(${err.message}): set NATS_TLS_CA to the CA that signed the server's certificate`
        : `the TLS certificate of NATS server at ${where} is not trusted (${err.message}): ` +
            "set NATS_TLS_CA to the PEM file of the CA that signed it",
    );
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return new NatsConnectError(
      `the TLS certificate of NATS server at ${where} is not made out to that host (${err.message}): ` +
        "use a host name the certificate names in NATS_URL",
    );
  }
  if (/^CERT_(HAS_EXPIRED|NOT_YET_VALID)$/.test(code)) {
    return new NatsConnectError(`the TLS certificate of NATS server at ${where} is not valid now (${err.message}): renew the server's certificate`);
  }
  if (/server does not support 'tls'/.test(err.message)) {
    return new NatsConnectError(`NATS server at ${where} does not offer TLS, but NATS_TLS_CA/NATS_TLS_CERT is set: enable TLS on the server or unset them`);
  }
  if (/^ERR_SSL_/.test(code)) {
    return new NatsConnectError(`TLS with NATS server at ${where} failed (${err.message}): check NATS_TLS_CA, NATS_TLS_CERT and NATS_TLS_KEY`);
  }
  return undefined;
}

/** The server's TLS alert for this client's certificate (see tlsRefusal), as one line naming the variables to fix. */
function describeTlsRefusal(alert: string, where: string, config: BaseConfig): NatsConnectError {
  if (!config.NATS_TLS_CERT) {
    return new NatsConnectError(`NATS server at ${where} requires a client certificate (${alert}): set NATS_TLS_CERT and NATS_TLS_KEY`);
  }
  return new NatsConnectError(
    `NATS server at ${where} refused the client certificate NATS_TLS_CERT ${config.NATS_TLS_CERT} (${alert}): ` +
      `set NATS_TLS_CERT and NATS_TLS_KEY to a certificate signed by a CA the server trusts`,
  );
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
