/** What the checker asks of the bus and of the server about the service under test. */
import { errors, type NatsConnection } from "@nats-io/transport-node";
import { isRuntimeSubject } from "../../index.js";

export type HealthAnswer =
  | { kind: "reply"; ms: number; data: Uint8Array }
  | { kind: "no-responders" }
  | { kind: "timeout" };

/** One request on a health subject, bounded by `boundMs`. */
export async function askHealth(nc: NatsConnection, subject: string, boundMs: number): Promise<HealthAnswer> {
  const sentAt = performance.now();
  try {
    const msg = await nc.request(subject, new Uint8Array(0), { timeout: boundMs });
    return { kind: "reply", ms: performance.now() - sentAt, data: msg.data };
  } catch (err) {
    if (err instanceof errors.RequestError && err.isNoResponders()) return { kind: "no-responders" };
    if (err instanceof errors.NoRespondersError) return { kind: "no-responders" };
    return { kind: "timeout" };
  }
}

/** `no reply within 0.5 s`, `nobody subscribes to …`. */
export function describeNoAnswer(answer: HealthAnswer, subject: string, boundMs: number): string {
  if (answer.kind === "no-responders") return `nobody subscribes to ${subject} (no responders)`;
  return `no reply within ${boundMs / 1000} s`;
}

export interface Subscription {
  subject: string;
  /** Absent: no queue group. */
  qgroup?: string;
}

export interface Connection {
  cid: number;
  name?: string;
  subscriptions: Subscription[];
}

interface Connz {
  connections?: { cid: number; name?: string; authorized_user?: string; subscriptions_list_detail?: Subscription[] }[];
}

/** The open connections of `user` with their subscriptions, from the server's /connz. */
export async function connectionsOf(monitorUrl: string, user: string): Promise<Connection[]> {
  const response = await fetch(`${monitorUrl}/connz?subs=detail&auth=true&limit=100000`);
  if (!response.ok) throw new Error(`nats-server monitoring answered ${response.status} for /connz`);
  const connz = (await response.json()) as Connz;
  return (connz.connections ?? [])
    .filter((c) => c.authorized_user === user)
    .map((c) => ({ cid: c.cid, name: c.name, subscriptions: c.subscriptions_list_detail ?? [] }));
}

/**
 * The subscriptions a service made for its own messages: not the runtime's `__telestion__` subjects
 * (health answers every instance, outside any group), not a client's reply inboxes (`_INBOX.`).
 */
export function serviceSubscriptions(connections: Connection[]): Subscription[] {
  return connections
    .flatMap((c) => c.subscriptions)
    .filter((s) => !isRuntimeSubject(s.subject) && !s.subject.startsWith("_INBOX."));
}
