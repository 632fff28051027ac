/**
 * The tool is configured like a service (telestion-runtime's resolveConfig): NATS_URL, NATS_USER,
 * NATS_PASSWORD (and for TLS NATS_TLS_CA, NATS_TLS_CERT, NATS_TLS_KEY) from `--KEY=value`, the
 * environment, `.env`, or `--dev` for a local server without credentials. It is not a service itself, so SERVICE_NAME (and, where no files are read, DATA_DIR)
 * get stand-ins instead of being required.
 */
import { ConfigError, resolveConfig, type BaseConfig } from "../index.js";
import { UsageError } from "./usage-error.js";

export interface ConfigFlags {
  dev: boolean;
  /** `--KEY=value` words of the command line, handed to resolveConfig as a service gets them. */
  keys: string[];
}

/** The NATS settings, for the commands that talk to the bus. */
export function natsConfig(flags: ConfigFlags): BaseConfig {
  // DATA_DIR goes unused here; its stand-in ranks above .env, which does not matter for that reason.
  return resolve(flags, true, { SERVICE_NAME: "telestion", DATA_DIR: "." }).config;
}

/** The absolute DATA_DIR, for `logs`: from the same sources, never a stand-in. */
export function dataDir(flags: ConfigFlags): string {
  return resolve(flags, false, { SERVICE_NAME: "telestion" }).dataDir;
}

function resolve(flags: ConfigFlags, nats: boolean, standIns: Record<string, string>) {
  try {
    return resolveConfig({
      argv: flags.keys,
      env: { ...standIns, ...process.env },
      dev: flags.dev,
      nats,
      devServiceName: "telestion",
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}
