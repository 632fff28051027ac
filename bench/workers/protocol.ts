// Messages between the harness and its workers, and the bodies both sides agree on.

export type Request = { id: number; cmd: string } & Record<string, unknown>;
export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** Which body a publisher sends. `json` is ~50 bytes of JSON with a sequence number; `binary` is 1 KiB that is not UTF-8. */
export type BodyKind = "json" | "binary";

/** The JSON body with sequence number `seq`: fixed length, so a log file's expected size is known in advance. */
export function jsonBody(seq: number): string {
  return `{"sensor":"temp-1","value":21.5,"seq":"${String(seq).padStart(8, "0")}"}`;
}

export const JSON_BODY_BYTES = Buffer.byteLength(jsonBody(0));

/** 1 KiB of bytes that are not valid UTF-8 (every 0xff), the same for every message. */
export const BINARY_BODY = new Uint8Array(1024).map((_, i) => (i % 7 === 0 ? 0xff : (i * 31) & 0x7f));

/** Serves commands from the parent; each handler's result (or error message) is sent back. */
export function serveCommands(handlers: Record<string, (request: Request) => unknown>): void {
  process.on("message", (raw) => {
    const request = raw as Request;
    const handler = handlers[request.cmd];
    const send = (reply: Reply) => process.send?.(reply);
    if (!handler) {
      send({ id: request.id, ok: false, error: `unknown command ${request.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(request))
      .then(
        (result) => send({ id: request.id, ok: true, result }),
        (err: unknown) => send({ id: request.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
      );
  });
  // The parent went away: nothing left to serve.
  process.on("disconnect", () => process.exit(0));
}
