import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { connect, createInbox, type NatsConnection, type Status } from "@nats-io/transport-node";
import { build } from "esbuild";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTs, type Child } from "../runtime/test/helpers/child.js";
import { builtCli, REPO } from "../test-support/built-cli.js";
import type { Login, Session } from "../test-support/frontend-page.js";
import { startNatsServer, type NatsServer } from "../test-support/nats-server.js";

/**
 * The Telestion frontend against a generated project's NATS configuration: nats-server runs the
 * generated nats/nats.conf (only its ports made random) with the services' and the operators' users,
 * a service on telestion-runtime answers and publishes, and a page in a real headless Chromium logs in
 * over WebSocket as the frontend does. The operators' permissions are tested with a NATS client too.
 */

/** Debian's chromium, driven by puppeteer-core (which brings no browser of its own). */
function onPath(name: string): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this folder
    }
  }
  return undefined;
}
const CHROMIUM = onPath("chromium");
const skipReason = CHROMIUM ? undefined : "chromium is not installed (apt-get install chromium)";
if (skipReason) process.stderr.write(`frontend browser test skipped: ${skipReason}\n`);

const NAME = "frontend-probe";
const SERVICE = { user: "service", pass: `pw${randomBytes(12).toString("hex")}` };
const OPERATOR = { user: "operator", pass: `pw${randomBytes(12).toString("hex")}` };

/** Replaces each `from` exactly once: a generated file that no longer has it fails here, not later. */
function withPorts(config: string, replacements: [from: string, to: string][]): string {
  for (const [from, to] of replacements) {
    expect(config.split(from).length - 1, `once in the generated config: ${from}`).toBe(1);
    config = config.replace(from, to);
  }
  return config;
}

let work: string;
let natsConf: string;
let natsDevConf: string;
let nats: NatsServer;
let service: Child;
let serviceId: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "frontend-browser-"));
  execFileSync(process.execPath, [builtCli(), NAME, "--yes", "--no-install", "--no-git"], { cwd: work, stdio: "pipe" });
  natsConf = readFileSync(join(work, NAME, "nats", "nats.conf"), "utf8");
  natsDevConf = readFileSync(join(work, NAME, "nats", "nats-dev.conf"), "utf8");

  // nats-server reads the credentials as $VARIABLES from its environment, as compose passes them.
  nats = await startNatsServer({
    configText: withPorts(natsConf, [
      ["port: 4222\n", "listen: 127.0.0.1:-1\n"],
      ["http: 8222\n", "http: 127.0.0.1:-1\n"],
      ["  port: 9222\n", "  listen: 127.0.0.1:-1\n"],
    ]),
    env: { NATS_USER: SERVICE.user, NATS_PASSWORD: SERVICE.pass, OPERATOR_USER: OPERATOR.user, OPERATOR_PASSWORD: OPERATOR.pass },
  });
  service = runTs(
    join(REPO, "test-support", "frontend-service.ts"),
    { NATS_URL: nats.url, NATS_USER: SERVICE.user, NATS_PASSWORD: SERVICE.pass, SERVICE_NAME: NAME, DATA_DIR: work },
    [],
    work,
  );
  await service.waitFor(/ready \S+/);
  serviceId = /ready (\S+)/.exec(service.stdout())![1]!;
});

afterAll(async () => {
  service?.kill("SIGKILL");
  await nats?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(skipReason)(`the Telestion frontend in Chromium${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  let page: Page;
  let browser: Browser;
  let http: Server;

  beforeAll(async () => {
    // The page script with @nats-io/nats-core's wsconnect, bundled for the browser as global `frontend`.
    const bundle = await build({
      entryPoints: [join(REPO, "test-support", "frontend-page.ts")],
      bundle: true,
      format: "iife",
      globalName: "frontend",
      platform: "browser",
      target: "es2022",
      write: false,
    });
    const script = bundle.outputFiles[0]!.text;
    http = createServer((request, response) => {
      if (request.url === "/frontend.js") {
        response.writeHead(200, { "content-type": "text/javascript" }).end(script);
      } else {
        response.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><script src="/frontend.js"></script>');
      }
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    // As root (CI), Chromium refuses to start with its sandbox.
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)));
  });

  type PageApi = { session(login: Login): Promise<Session>; tryLogin(login: Login): Promise<string> };
  const inPage = {
    session: (login: Login) => page.evaluate((l) => (globalThis as unknown as { frontend: PageApi }).frontend.session(l), login),
    tryLogin: (login: Login) => page.evaluate((l) => (globalThis as unknown as { frontend: PageApi }).frontend.tryLogin(l), login),
  };

  it("logs in as the operator over WebSocket: a reply from the service, a message it publishes, its health", async () => {
    const result = await inPage.session({ url: nats.websocketUrl!, ...OPERATOR });
    expect(result.reply).toEqual({ echo: { from: "browser" } });
    expect(result.telemetry).toEqual({ reading: expect.any(Number) });
    expect(result.health).toMatchObject({ errors: 0, service: serviceId, name: NAME });
  });

  it("is refused with a wrong password, and the operator's password does not log in the services' user", async () => {
    expect(await inPage.tryLogin({ url: nats.websocketUrl!, ...OPERATOR })).toBe("ok");
    expect(await inPage.tryLogin({ url: nats.websocketUrl!, user: OPERATOR.user, pass: `${OPERATOR.pass}x` })).toMatch(/Authorization Violation/i);
    expect(await inPage.tryLogin({ url: nats.websocketUrl!, user: SERVICE.user, pass: OPERATOR.pass })).toMatch(/Authorization Violation/i);
  });

  it("logs in to the development server (nats/nats-dev.conf) with any name and password", async () => {
    const dev = await startNatsServer({
      configText: withPorts(natsDevConf, [
        ["listen: 127.0.0.1:4222\n", "listen: 127.0.0.1:-1\n"],
        ["listen: 127.0.0.1:9222\n", "listen: 127.0.0.1:-1\n"],
      ]),
    });
    try {
      expect(await inPage.tryLogin({ url: dev.websocketUrl!, user: "anyone", pass: "anything" })).toBe("ok");
    } finally {
      await dev.stop();
    }
  });
});

describe("the operators' permissions in the generated nats.conf", () => {
  let svc: NatsConnection;
  let op: NatsConnection;
  /** Errors the server sent the operator's connection (permission violations). */
  const opErrors: Error[] = [];

  beforeAll(async () => {
    svc = await connect({ servers: nats.url, user: SERVICE.user, pass: SERVICE.pass });
    op = await connect({ servers: nats.url, user: OPERATOR.user, pass: OPERATOR.pass });
    void (async () => {
      for await (const status of op.status() as AsyncIterable<Status>) if (status.type === "error") opErrors.push(status.error as Error);
    })();
  });
  afterAll(async () => {
    await op?.close();
    await svc?.close();
  });

  /** Resolves when `predicate` holds, checked every 20 ms; rejects after `ms`. */
  async function until(predicate: () => boolean, what: string, ms = 5_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it("may publish commands, data and log lines, send requests, and subscribe without a queue group", async () => {
    const received: string[] = [];
    for (const subject of ["frontend.command", "__telestion__/log/operator"]) {
      svc.subscribe(subject, { callback: (_err, msg) => void received.push(msg.subject) });
    }
    await svc.flush();
    op.publish("frontend.command", JSON.stringify({ on: true }));
    op.publish("__telestion__/log/operator", JSON.stringify({ note: "hello" }));
    await until(() => received.length === 2, "the operator's messages");
    expect(received.sort()).toEqual(["__telestion__/log/operator", "frontend.command"]);

    expect((await op.request("frontend.echo", JSON.stringify(1), { timeout: 5_000 })).json()).toEqual({ echo: 1 });
    const telemetry = op.subscribe("frontend.telemetry", { max: 1, timeout: 5_000 });
    for await (const msg of telemetry) expect(msg.json()).toEqual({ reading: expect.any(Number) });
    expect(opErrors).toEqual([]);
  });

  it("cannot answer in a service's name: its forged health reply never reaches the requester", async () => {
    const forger = op.subscribe("__telestion__/health", {
      callback: (_err, msg) => void msg.respond(JSON.stringify({ errors: 0, service: "forged", name: "forged" })),
    });
    await op.flush();
    const inbox = createInbox();
    const replies: unknown[] = [];
    svc.subscribe(inbox, { callback: (_err, msg) => void replies.push(msg.json()) });
    svc.publish("__telestion__/health", "", { reply: inbox });
    // The server refuses the forged reply with an error to the operator (or, were it allowed, the forged
    // reply arrives beside the service's).
    await until(() => replies.length > 1 || (opErrors.length > 0 && replies.length > 0), "the refusal and the service's reply");
    await op.flush();
    await svc.flush();
    forger.unsubscribe();
    expect(opErrors.map((err) => err.message)).toEqual([expect.stringMatching(new RegExp(`Permissions Violation for Publish to "${inbox}"`))]);
    expect(replies).toEqual([expect.objectContaining({ errors: 0, service: serviceId, name: NAME })]);
    opErrors.length = 0;
  });

  it("cannot join a queue group, where it would take a share of a service's messages", async () => {
    const sub = op.subscribe("frontend.command", { queue: NAME });
    // The server refuses at once; a subscription it accepted stays open.
    const closed = await Promise.race([sub.closed, new Promise((resolve) => setTimeout(() => resolve("still subscribed after 5 s"), 5_000))]);
    expect(closed).toBeInstanceOf(Error);
    expect((closed as Error).message).toMatch(/Permissions Violation for Subscription to "frontend\.command" using queue "frontend-probe"/);
    opErrors.length = 0;
  });
});
