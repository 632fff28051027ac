/**
 * The message bodies the standard says a service must survive ("JSON-encoded UTF-8 strings" and
 * "binary data", and it "mustn't assume anything about the format"), one class per kind of trouble.
 */
import { randomBytes } from "node:crypto";

export interface BodyClass {
  id: string;
  /** What the report calls the class. */
  label: string;
  bodies(maxPayload: number): Uint8Array[];
}

const utf8 = (text: string) => new TextEncoder().encode(text);

export const BODY_CLASSES: BodyClass[] = [
  {
    id: "json",
    label: "JSON: object, array, string, number, true, false, null, nested, non-ASCII",
    bodies: () =>
      ['{"value":1,"unit":"m"}', '[1,"two",null]', '"a string"', "42", "-1.5e300", "true", "false", "null", '{"a":{"b":{"c":[[[{}]]]}}}', '{"name":"Zoë 🚀 \\u0000"}'].map(utf8),
  },
  { id: "empty", label: "empty", bodies: () => [new Uint8Array(0)] },
  { id: "text", label: "text that is not JSON", bodies: () => ["hello", "{not json", "line one\nline two\r\n\ttab"].map(utf8) },
  {
    id: "invalid-utf8",
    label: "invalid UTF-8",
    bodies: () => [Uint8Array.from([0xff, 0xfe, 0xfd]), Uint8Array.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), Uint8Array.from([0xe2, 0x82])],
  },
  { id: "binary", label: "random binary", bodies: () => [Uint8Array.from([0]), new Uint8Array(randomBytes(1024))] },
  {
    id: "large",
    label: "near max_payload",
    // Room for the subject and headers, which count against max_payload too.
    bodies: (maxPayload) => [new Uint8Array(randomBytes(Math.max(0, maxPayload - 4096)))],
  },
];

/**
 * A concrete subject matching a subscription: `*` becomes one token, `>` one token too (it needs
 * at least one). The filled-in tokens say where the message comes from.
 */
export function concreteSubject(subject: string): string {
  return subject
    .split(".")
    .map((token) => (token === "*" || token === ">" ? "telestion-check" : token))
    .join(".");
}
