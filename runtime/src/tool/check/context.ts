/** What the rules of `check` share: the checker's server and connection, and the service's runs. */
import type { NatsConnection } from "@nats-io/transport-node";
import type { CheckServer } from "./nats-server.js";
import type { ServiceRun } from "./service-process.js";

/** The five variables of the standard, in its order. */
export const STANDARD_KEYS = ["NATS_URL", "NATS_USER", "NATS_PASSWORD", "SERVICE_NAME", "DATA_DIR"] as const;
export type StandardKey = (typeof STANDARD_KEYS)[number];

export interface CheckContext {
  /** The service command: what comes after `--`. */
  command: string[];
  server: CheckServer;
  /** The checker's own connection (its own user, so /connz tells it from the service's). */
  nc: NatsConnection;
  maxPayload: number;
  /** `--timeout`: the bound for exiting without a variable, for connecting, and for ending after SIGTERM. */
  boundMs: number;
  serviceName: string;
  serviceId: string;
  /**
   * The keys a `.env` in the working directory defines: a service may read it (telestion-runtime does),
   * so a run that removes one of them from the environment does not take it from the service.
   */
  dotEnvKeys: ReadonlySet<string>;
  /** The checker's environment with the five variables and SERVICE_ID set, then `change` applied (undefined removes). */
  env(change?: Partial<Record<StandardKey | "SERVICE_ID", string | undefined>>): NodeJS.ProcessEnv;
  /** The DATA_DIR of the main run. */
  dataDir: string;
  /** A fresh DATA_DIR for one run. */
  freshDataDir(label: string): string;
  /** Starts a run of the service; every run is stopped by the checker's cleanup. */
  start(env: NodeJS.ProcessEnv): ServiceRun;
  /** The run with every variable set, once `connects` started it. */
  main?: ServiceRun;
  /** Whether health ever answered, so that later rules only require it of a service that has it. */
  healthAnswers: boolean;
  /** The subjects the service subscribes to outside `__telestion__`, found by `queue-groups`. */
  subjects: string[];
}
