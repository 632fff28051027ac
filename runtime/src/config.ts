import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { parse as parseJsoncText, printParseErrorCode, type ParseError } from "jsonc-parser";
import { randomBytes } from "node:crypto";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "./args.js";
import { validateSync, type StandardSchemaV1 } from "./schema.js";

/** The keys every Telestion service receives (seed: "Configuration"). */
export interface BaseConfig {
  NATS_URL: string;
  /** Required, but may be empty: connect without authentication (`--dev` makes both empty by default). */
  NATS_USER: string;
  NATS_PASSWORD: string;
  SERVICE_NAME: string;
  DATA_DIR: string;
  SERVICE_ID?: string;
  /** PEM file of the CA that signed the NATS server's certificate (absolute once resolved). */
  NATS_TLS_CA?: string;
  /** PEM files of a client certificate and its private key, for a server that verifies clients. */
  NATS_TLS_CERT?: string;
  NATS_TLS_KEY?: string;
}

/** Every merged key, the base keys typed, plus what a service's own schema adds. */
export type Config<Extra = unknown> = BaseConfig & Extra & Record<string, unknown>;

export interface ConfigSources {
  argv?: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
  /** Also enabled by `--dev` on the command line. */
  dev?: boolean;
  /** When false, the NATS keys are not required. */
  nats?: boolean;
  /** For `--dev`'s default SERVICE_NAME and for relative paths. */
  cwd?: string;
  /** `--dev`'s default SERVICE_NAME instead of `dev-<folder name>` (e.g. for a tool run in a service's folder). */
  devServiceName?: string;
}

export interface ResolvedConfig<Extra = unknown> {
  config: Config<Extra>;
  serviceName: string;
  serviceId: string;
  /** Absolute DATA_DIR. */
  dataDir: string;
  dev: boolean;
}

/** A configuration problem the operator must fix; its message is one line. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

const NATS_KEYS = ["NATS_URL", "NATS_USER", "NATS_PASSWORD"] as const;
const SERVICE_KEYS = ["SERVICE_NAME", "DATA_DIR"] as const;
/** Optional PEM file paths for TLS (nats-tls.ts), relative to the working directory like DATA_DIR. */
const TLS_FILE_KEYS = ["NATS_TLS_CA", "NATS_TLS_CERT", "NATS_TLS_KEY"] as const;

/**
 * Merges the sources, lowest precedence first: `--dev` defaults < CONFIG_FILE[CONFIG_KEY]
 * < environment < command-line arguments; then checks the required keys and the service's schema.
 */
export function resolveConfig<Extra = unknown>(
  sources: ConfigSources = {},
  schema?: StandardSchemaV1<unknown, Extra>,
): ResolvedConfig<Extra> {
  const argv = sources.argv ?? process.argv.slice(2);
  const cwd = sources.cwd ?? process.cwd();
  // A .env file in the working directory ranks below the real environment.
  const env = { ...readDotEnv(cwd), ...definedOnly(sources.env ?? process.env) };
  const args = parseArgs(argv);
  const dev = sources.dev === true || args["dev"] === true;

  const file = readConfigFile(pick(args, env, "CONFIG_FILE"), pick(args, env, "CONFIG_KEY"), cwd);
  const merged: Record<string, unknown> = {
    ...(dev ? devDefaults(cwd, sources.devServiceName) : {}),
    ...file,
    ...env,
    ...args,
  };

  const needNats = sources.nats !== false;
  checkRequired(merged, needNats, dev);

  for (const key of TLS_FILE_KEYS) {
    // Absolute, so that the health thread and the NATS client read the same file whatever their directory.
    if (merged[key]) merged[key] = resolve(cwd, merged[key] as string);
  }

  let config = merged as Config<Extra>;
  if (schema) config = { ...merged, ...parseExtra(schema, merged) } as Config<Extra>;

  const serviceName = config.SERVICE_NAME;
  const serviceId = configuredServiceId(config) ?? generateServiceId(serviceName);
  return { config, serviceName, serviceId, dataDir: resolve(cwd, config.DATA_DIR), dev };
}

/** SERVICE_ID as configured (empty counts as unset), or undefined: the instance's id is then generated. */
export function configuredServiceId(config: Record<string, unknown>): string | undefined {
  return stringOr(config["SERVICE_ID"]);
}

/** A unique id per instance: several instances share a SERVICE_NAME, and in containers they share PID 1. */
export function generateServiceId(serviceName: string): string {
  return `${serviceName}-${randomBytes(4).toString("hex")}`;
}

function devDefaults(cwd: string, serviceName?: string): Record<string, string> {
  const dir = basename(cwd).replace(/[^A-Za-z0-9_-]+/g, "-") || "service";
  // Empty credentials (no authentication) keep NATS_USER and NATS_PASSWORD the strings BaseConfig says.
  return { NATS_URL: "localhost:4222", NATS_USER: "", NATS_PASSWORD: "", SERVICE_NAME: serviceName ?? `dev-${dir}`, DATA_DIR: "./data" };
}

function pick(args: Record<string, unknown>, env: ConfigSources["env"] & object, key: string): unknown {
  return args[key] ?? env[key];
}

/** The NATS servers named in NATS_URL (comma-separated; blanks between commas are ignored). */
export function natsServers(url: string): string[] {
  return url
    .split(",")
    .map((server) => server.trim())
    .filter(Boolean);
}

/** `KEY=value` lines of `<cwd>/.env`, or nothing when there is no such file. */
function readDotEnv(cwd: string): Record<string, string> {
  const path = join(cwd, ".env");
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return {};
    throw new ConfigError(`cannot read ${path} (${code ?? (err as Error).message}): fix its permissions or remove it`);
  }
  return definedOnly(parseEnv(text));
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function readConfigFile(file: unknown, key: unknown, cwd: string): Record<string, unknown> {
  if (file === undefined) {
    if (key !== undefined) throw new ConfigError("CONFIG_KEY is set but CONFIG_FILE is not: set CONFIG_FILE to a JSON file");
    return {};
  }
  if (typeof file !== "string" || file === "") throw new ConfigError("CONFIG_FILE needs a path to a JSON file");
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read CONFIG_FILE ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const parsed = parseJsonc(text, path);
  if (!isPlainObject(parsed)) throw new ConfigError(`CONFIG_FILE ${path} must contain a JSON object`);
  if (key === undefined) return parsed;
  if (typeof key !== "string" || key === "") throw new ConfigError("CONFIG_KEY needs the name of a top-level key in CONFIG_FILE");
  const section = parsed[key];
  if (!isPlainObject(section)) {
    const found = section === undefined ? "no such key" : `a ${Array.isArray(section) ? "array" : typeof section}`;
    throw new ConfigError(`CONFIG_KEY "${key}" must name an object in CONFIG_FILE ${path} (found ${found})`);
  }
  return section;
}

/** JSON with comments and trailing commas (JSONC), as Telestion's reference library reads its config file. */
function parseJsonc(text: string, path: string): unknown {
  const problems: ParseError[] = [];
  const parsed: unknown = parseJsoncText(text, problems, { allowTrailingComma: true, allowEmptyContent: false });
  const first = problems[0];
  if (first === undefined) return parsed;
  const before = text.slice(0, first.offset).split("\n");
  const where = `line ${before.length}, column ${before.at(-1)!.length + 1}`;
  throw new ConfigError(
    `CONFIG_FILE ${path} is not valid JSON (comments and trailing commas are allowed): ${printParseErrorCode(first.error)} at ${where}`,
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkRequired(merged: Record<string, unknown>, needNats: boolean, dev: boolean): void {
  const required: string[] = [...(needNats ? ["NATS_URL"] : []), ...SERVICE_KEYS];
  // The seed requires credentials; --dev runs against a local server without them.
  const credentials = needNats && !dev ? ["NATS_USER", "NATS_PASSWORD"] : [];
  const missing = [
    ...required.filter((key) => merged[key] === undefined || merged[key] === ""),
    ...credentials.filter((key) => merged[key] === undefined),
  ];
  const ordered = [...NATS_KEYS, ...SERVICE_KEYS].filter((key) => missing.includes(key));
  if (ordered.length > 0) {
    throw new ConfigError(
      `missing configuration: ${ordered.join(", ")}. Set ${ordered.length > 1 ? "them" : "it"} in the environment ` +
        `or as --KEY=value (NATS_USER and NATS_PASSWORD may be empty for no authentication), or start with --dev for local defaults`,
    );
  }
  for (const key of [...NATS_KEYS, ...SERVICE_KEYS, "SERVICE_ID", ...TLS_FILE_KEYS]) {
    const value = merged[key];
    if (value !== undefined && typeof value !== "string") {
      throw new ConfigError(`${key} must be a string, got ${value === true ? "a flag without a value" : typeof value}`);
    }
  }
  if (needNats && !merged["NATS_TLS_CERT"] !== !merged["NATS_TLS_KEY"]) {
    const [set, unset] = merged["NATS_TLS_CERT"] ? ["NATS_TLS_CERT", "NATS_TLS_KEY"] : ["NATS_TLS_KEY", "NATS_TLS_CERT"];
    throw new ConfigError(`${set} is set but ${unset} is not: a client certificate needs its private key, set both or neither`);
  }
  if (needNats && natsServers(merged["NATS_URL"] as string).length === 0) {
    throw new ConfigError('NATS_URL names no server: set it to host:port or nats://host:port (comma-separated for several)');
  }
  if (/\s/.test(merged["SERVICE_NAME"] as string)) {
    throw new ConfigError("SERVICE_NAME must not contain whitespace: it names the service's NATS queue group");
  }
}

function parseExtra<Extra>(schema: StandardSchemaV1<unknown, Extra>, merged: Record<string, unknown>): Extra {
  const result = validateSync(schema, merged, "(config)");
  if (result.ok) return result.value;
  throw new ConfigError(`invalid configuration: ${result.problems}`);
}
