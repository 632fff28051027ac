import { describe, expect, it } from "vitest";
import { z } from "zod";
import { encodeBody } from "../src/encode.js";
import { MessageFormatError } from "../src/message.js";
import { testMessage } from "../src/testing.js";

describe("encodeBody", () => {
  it("sends bytes (a Uint8Array, a Buffer, an ArrayBuffer) as they are, anything else as JSON: a string too, undefined as null", () => {
    const bytes = new Uint8Array([0, 255, 1]);
    expect(encodeBody(bytes)).toBe(bytes);
    expect([...encodeBody(Buffer.from([7, 8]))]).toEqual([7, 8]);
    expect([...encodeBody(new Uint8Array([104, 105]).buffer)]).toEqual([104, 105]);
    expect(Buffer.from(encodeBody("grüß")).toString("utf8")).toBe('"grüß"');
    expect(Buffer.from(encodeBody('say "hi"\n')).toString("utf8")).toBe('"say \\"hi\\"\\n"');
    expect(Buffer.from(encodeBody(undefined)).toString()).toBe("null");
    expect(Buffer.from(encodeBody({ a: [1, null] })).toString()).toBe('{"a":[1,null]}');
    expect(Buffer.from(encodeBody(42)).toString()).toBe("42");
    expect(Buffer.from(encodeBody(null)).toString()).toBe("null");
  });

  it("refuses what JSON cannot carry, with a clear error", () => {
    const circular: Record<string, unknown> = {};
    circular["self"] = circular;
    expect(() => encodeBody(circular)).toThrow(/cannot encode body as JSON/);
    expect(() => encodeBody(10n)).toThrow(/cannot encode body as JSON/);
    expect(() => encodeBody(() => 1)).toThrow("cannot encode a function as a message body");
  });
});

describe("Message", () => {
  it("reads JSON bodies, optionally through a schema", () => {
    const { message } = testMessage("sensor", { temperature: 21.5 });
    expect(message.json()).toEqual({ temperature: 21.5 });
    expect(message.json(z.object({ temperature: z.number() })).temperature).toBe(21.5);
  });

  it("never throws for binary bodies outside json()", () => {
    const { message } = testMessage("raw", new Uint8Array([0xff, 0xfe, 0x00, 0xc3]));
    expect(message.size).toBe(4);
    expect(message.data[0]).toBe(0xff);
    expect(message.text()).toContain("\uFFFD");
    expect(() => message.json()).toThrow(MessageFormatError);
    expect(() => message.json()).toThrow(/^body on "raw" is not valid JSON/);
  });

  it("handles an empty body", () => {
    const { message } = testMessage("empty", new Uint8Array(0));
    expect(message.size).toBe(0);
    expect(message.text()).toBe("");
    expect(() => message.json()).toThrow(MessageFormatError);
  });

  it("names the invalid field when a schema refuses the body", () => {
    const { message } = testMessage("sensor", { temperature: "hot" });
    expect(() => message.json(z.object({ temperature: z.number() }))).toThrow(/^body on "sensor" is invalid: temperature: /);
  });

  it("exposes headers and replies only to requests", () => {
    const request = testMessage("q", "x", { reply: "_INBOX.1", headers: { "X-Trace": "abc" } });
    expect(request.message.header("X-Trace")).toBe("abc");
    expect(request.message.header("Missing")).toBeUndefined();
    expect(request.message.headers).toEqual({ "X-Trace": ["abc"] });
    expect(request.message.replySubject).toBe("_INBOX.1");
    expect(request.message.respond({ ok: true })).toBe(true);
    expect(Buffer.from(request.replies[0]!).toString()).toBe('{"ok":true}');
    expect(request.message.respond("fine")).toBe(true);
    expect(Buffer.from(request.replies[1]!).toString()).toBe('"fine"');
    expect(request.message.respond()).toBe(true);
    expect(Buffer.from(request.replies[2]!).toString()).toBe("null");

    const published = testMessage("p", "x");
    expect(published.message.replySubject).toBeUndefined();
    expect(published.message.respond("nobody listens")).toBe(false);
    expect(published.replies).toEqual([]);
  });
});
