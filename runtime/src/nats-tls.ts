/**
 * TLS for the NATS connection: the CA that signed the server's certificate (NATS_TLS_CA) and the
 * client certificate with its key (NATS_TLS_CERT, NATS_TLS_KEY), PEM files whose paths resolveConfig
 * made absolute. Read and checked before connecting, so that a bad file fails with its variable's
 * name instead of as an unreachable server. Nothing here ever prints a file's contents.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect as connectTcp, isIP } from "node:net";
import { connect as connectTls, createSecureContext } from "node:tls";
import type { BaseConfig } from "./config.js";

export const TLS_KEYS = ["NATS_TLS_CA", "NATS_TLS_CERT", "NATS_TLS_KEY"] as const;

/** PEM contents for the NATS client's `tls` option (it passes them to Node's tls.connect). */
export interface TlsContents {
  ca?: string;
  cert?: string;
  key?: string;
}

/** A TLS file that cannot be used; the message names the variable and never holds a file's contents. */
export class TlsFileError extends Error {
  override name = "TlsFileError";
}

/** The configured TLS files, read and checked; undefined when none is set (TLS then as the server offers it). */
export function readTlsFiles(config: BaseConfig): TlsContents | undefined {
  if (!TLS_KEYS.some((key) => config[key])) return undefined;
  const tls: TlsContents = {};
  if (config.NATS_TLS_CA) {
    tls.ca = readPem("NATS_TLS_CA", config.NATS_TLS_CA);
    check("NATS_TLS_CA", config.NATS_TLS_CA, "a PEM CA certificate", () => new X509Certificate(tls.ca!));
  }
  if (config.NATS_TLS_CERT || config.NATS_TLS_KEY) {
    // resolveConfig makes sure that both are set.
    tls.cert = readPem("NATS_TLS_CERT", config.NATS_TLS_CERT!);
    tls.key = readPem("NATS_TLS_KEY", config.NATS_TLS_KEY!);
    check("NATS_TLS_CERT", config.NATS_TLS_CERT!, "a PEM certificate", () => new X509Certificate(tls.cert!));
    check("NATS_TLS_KEY", config.NATS_TLS_KEY!, "an unencrypted PEM private key", () => createPrivateKey(tls.key!));
    try {
      createSecureContext({ cert: tls.cert, key: tls.key });
    } catch (err) {
      throw new TlsFileError(
        `NATS_TLS_KEY ${config.NATS_TLS_KEY} is not the private key of NATS_TLS_CERT ${config.NATS_TLS_CERT} ` +
          `(${reason(err)}): set NATS_TLS_KEY to the key the certificate was made for`,
      );
    }
  }
  return tls;
}

function readPem(key: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new TlsFileError(`cannot read ${key} ${path} (${(err as NodeJS.ErrnoException).code ?? reason(err)}): set ${key} to a readable PEM file`);
  }
}

function check(key: string, path: string, what: string, parse: () => unknown): void {
  try {
    parse();
  } catch (err) {
    throw new TlsFileError(`${key} ${path} is not ${what} (${reason(err)}): set ${key} to one`);
  }
}

/** The library's reason without its OpenSSL prefix ("error:0480006C:PEM routines::no start line" → "no start line"). */
function reason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^error:[0-9A-F]+:[^:]*::?/, "");
}

/**
 * Why a server that verifies client certificates drops this client. Under TLS 1.3 the server checks
 * the client's certificate after the client has finished its handshake, so the NATS client sees a
 * closed connection and reports only a timeout; this repeats the start of a connection (the server's
 * INFO line, then the TLS handshake) and returns the server's alert, e.g. "certificate required",
 * or undefined when the server does not say within `ms`.
 */
export function tlsRefusal(server: string, tls: TlsContents, ms: number): Promise<string | undefined> {
  const url = new URL(/^[a-z]+:\/\//i.test(server) ? server : `nats://${server}`);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port || 4222);
  return new Promise((resolve) => {
    const socket = connectTcp(port, host);
    let settled = false;
    const done = (answer: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(undefined), ms);
    socket.on("error", () => done(undefined));
    let info = "";
    const onData = (chunk: Buffer) => {
      info += chunk.toString("latin1");
      if (!info.includes("\r\n")) return;
      socket.off("data", onData);
      let verifies = false;
      try {
        verifies = (JSON.parse(info.slice(info.indexOf("{"), info.indexOf("\r\n"))) as { tls_verify?: boolean }).tls_verify === true;
      } catch {
        return done(undefined);
      }
      if (!verifies) return done(undefined);
      if (!tls.cert) return done("certificate required");
      const secure = connectTls({ socket, ...tls, ...(isIP(host) ? {} : { servername: host }) });
      secure.on("error", (err: NodeJS.ErrnoException) => done(alertOf(err)));
      secure.on("close", () => done(undefined));
    };
    socket.on("data", onData);
  });
}

/** "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED" → "certificate required"; other errors as their message. */
function alertOf(err: NodeJS.ErrnoException): string {
  const alert = /^ERR_SSL_(?:SSLV3|TLSV1\d?)_ALERT_(.+)$/.exec(err.code ?? "");
  return alert ? alert[1]!.toLowerCase().replace(/_/g, " ") : reason(err);
}
