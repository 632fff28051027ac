import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, resolveConfig } from "../src/config.js";

const FULL = {
  NATS_URL: "nats://env:4222",
  NATS_USER: "user",
  NATS_PASSWORD: "secret-password",
  SERVICE_NAME: "env-service",
  DATA_DIR: "/tmp/env-data",
};

function configFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "config-test-"));
  const path = join(dir, "config.json");
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

describe("resolveConfig: sources and precedence", () => {
  it("takes the five keys from the environment and keeps every environment key", () => {
    const { config, serviceName, dataDir } = resolveConfig({ argv: [], env: { ...FULL, OTHER: "x" } });
    expect(config).toMatchObject({ ...FULL, OTHER: "x" });
    expect(serviceName).toBe("env-service");
    expect(dataDir).toBe("/tmp/env-data");
  });

  it("command-line arguments beat the environment", () => {
    const { config } = resolveConfig({ argv: ["--SERVICE_NAME=arg-service", "--NATS_URL", "nats://arg:1"], env: FULL });
    expect(config.SERVICE_NAME).toBe("arg-service");
    expect(config.NATS_URL).toBe("nats://arg:1");
    expect(config.DATA_DIR).toBe(FULL.DATA_DIR);
  });

  it("the environment beats CONFIG_FILE, which beats --dev defaults", () => {
    const file = configFile({ SERVICE_NAME: "file-service", DATA_DIR: "/tmp/file-data", FROM_FILE: 42 });
    const { config } = resolveConfig({
      argv: ["--dev"],
      env: { CONFIG_FILE: file, SERVICE_NAME: "env-service" },
    });
    expect(config.SERVICE_NAME).toBe("env-service");
    expect(config.DATA_DIR).toBe("/tmp/file-data");
    expect(config.FROM_FILE).toBe(42);
    expect(config.NATS_URL).toBe("localhost:4222");
  });

  it("CONFIG_KEY selects one object of the file; CONFIG_FILE may come from the arguments", () => {
    const file = configFile({ a: { SERVICE_NAME: "from-a" }, b: { SERVICE_NAME: "from-b", DATA_DIR: "/b" } });
    const { config } = resolveConfig({ argv: [`--CONFIG_FILE=${file}`, "--CONFIG_KEY=b"], env: { ...FULL, SERVICE_NAME: undefined } });
    expect(config.SERVICE_NAME).toBe("from-b");
    expect(config.DATA_DIR).toBe(FULL.DATA_DIR); // env beats the file
  });

  it("resolves a relative DATA_DIR against the working directory", () => {
    const { dataDir } = resolveConfig({ argv: [], env: { ...FULL, DATA_DIR: "data" }, cwd: "/srv/app" });
    expect(dataDir).toBe(resolve("/srv/app", "data"));
  });
});

describe("resolveConfig: --dev", () => {
  it("supplies NATS_URL, a dev- SERVICE_NAME and DATA_DIR, and needs no credentials", () => {
    const { config, serviceName, dev, dataDir } = resolveConfig({ argv: ["--dev"], env: {}, cwd: "/work/my app" });
    expect(dev).toBe(true);
    expect(config.NATS_URL).toBe("localhost:4222");
    expect(serviceName).toMatch(/^dev-/);
    expect(serviceName).not.toMatch(/\s/);
    expect(dataDir).toBe(resolve("/work/my app", "data"));
    expect(config.NATS_USER).toBe(""); // no authentication, and still the string BaseConfig promises
    expect(config.NATS_PASSWORD).toBe("");
  });

  it("keeps credentials that are given", () => {
    const { config } = resolveConfig({ argv: ["--dev"], env: { NATS_USER: "u", NATS_PASSWORD: "p" } });
    expect(config.NATS_USER).toBe("u");
    expect(config.NATS_PASSWORD).toBe("p");
  });

  it("can be switched on by the caller", () => {
    expect(resolveConfig({ argv: [], env: {}, dev: true }).dev).toBe(true);
  });
});

describe("resolveConfig: required keys", () => {
  for (const key of Object.keys(FULL)) {
    it(`refuses to start without ${key}, naming it and suggesting --dev`, () => {
      const env: Record<string, string | undefined> = { ...FULL, [key]: undefined };
      const error = catchError(() => resolveConfig({ argv: [], env }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(new RegExp(`^missing configuration: ${key}\\.`));
      expect(error.message).toContain("--dev");
      expect(error.message).not.toContain("\n");
      expect(error.message).not.toContain(FULL.NATS_PASSWORD);
    });
  }

  it("names every missing key in one error", () => {
    const error = catchError(() => resolveConfig({ argv: [], env: {} }));
    expect(error.message).toMatch(/^missing configuration: NATS_URL, NATS_USER, NATS_PASSWORD, SERVICE_NAME, DATA_DIR\./);
  });

  it("accepts empty credentials as 'no authentication'", () => {
    const { config } = resolveConfig({ argv: [], env: { ...FULL, NATS_USER: "", NATS_PASSWORD: "" } });
    expect(config.NATS_USER).toBe("");
  });

  it("refuses an empty SERVICE_NAME, DATA_DIR or NATS_URL", () => {
    for (const key of ["NATS_URL", "SERVICE_NAME", "DATA_DIR"]) {
      expect(() => resolveConfig({ argv: [], env: { ...FULL, [key]: "" } })).toThrow(`missing configuration: ${key}.`);
    }
  });

  it("does not require the NATS keys when NATS is disabled", () => {
    const { config } = resolveConfig({ argv: [], env: { SERVICE_NAME: "s", DATA_DIR: "/d" }, nats: false });
    expect(config.SERVICE_NAME).toBe("s");
  });

  it("refuses a flag without a value for a required key", () => {
    expect(() => resolveConfig({ argv: ["--SERVICE_NAME"], env: FULL })).toThrow("SERVICE_NAME must be a string, got a flag without a value");
  });

  it("refuses a SERVICE_NAME with whitespace (it is the queue group)", () => {
    expect(() => resolveConfig({ argv: [], env: { ...FULL, SERVICE_NAME: "my service" } })).toThrow(/whitespace/);
  });
});

describe("resolveConfig: CONFIG_FILE with comments and trailing commas (JSONC)", () => {
  it("reads line and block comments and trailing commas in objects and arrays, also under CONFIG_KEY", () => {
    const file = configFile(`{
  // Settings per service, as in Telestion's config.jsonc
  "sensor": {
    /* where the readings go */
    "DATA_DIR": "/data/sensor", // absolute
    "CHANNELS": [1, 2, 3,],
    "URL": "http://example.org/a//b", // slashes inside a string are no comment
  },
}`);
    const { config } = resolveConfig({ argv: [], env: { ...FULL, DATA_DIR: undefined, CONFIG_FILE: file, CONFIG_KEY: "sensor" } });
    expect(config.DATA_DIR).toBe("/data/sensor");
    expect(config["CHANNELS"]).toEqual([1, 2, 3]);
    expect(config["URL"]).toBe("http://example.org/a//b");
  });
});

describe("resolveConfig: CONFIG_FILE errors", () => {
  it("an unreadable file", () => {
    expect(() => resolveConfig({ argv: [], env: { ...FULL, CONFIG_FILE: "/nonexistent/config.json" } })).toThrow(
      /^cannot read CONFIG_FILE \/nonexistent\/config\.json: ENOENT$/,
    );
  });

  it("malformed JSON, with the line and column of the first problem", () => {
    const file = configFile('{\n  // the bus\n  "NATS_URL": "nats://a:4222",\n  "DATA_DIR" "/data"\n}');
    expect(() => resolveConfig({ argv: [], env: { ...FULL, CONFIG_FILE: file } })).toThrow(
      `CONFIG_FILE ${file} is not valid JSON (comments and trailing commas are allowed): ColonExpected at line 4, column 14`,
    );
    expect(() => resolveConfig({ argv: [], env: { ...FULL, CONFIG_FILE: configFile("{ not json") } })).toThrow(/is not valid JSON.* at line 1, column 3$/);
    expect(() => resolveConfig({ argv: [], env: { ...FULL, CONFIG_FILE: configFile("") } })).toThrow(/is not valid JSON/);
  });

  it("JSON that is not an object", () => {
    const file = configFile([1, 2]);
    expect(() => resolveConfig({ argv: [], env: { ...FULL, CONFIG_FILE: file } })).toThrow(/must contain a JSON object/);
  });

  it("a CONFIG_KEY that is missing or not an object", () => {
    const file = configFile({ list: [1], text: "x" });
    for (const [key, found] of [["absent", "no such key"], ["list", "a array"], ["text", "a string"]]) {
      expect(() => resolveConfig({ argv: [], env: { ...FULL, CONFIG_FILE: file, CONFIG_KEY: key } })).toThrow(
        `CONFIG_KEY "${key}" must name an object in CONFIG_FILE ${file} (found ${found})`,
      );
    }
  });

  it("CONFIG_KEY without CONFIG_FILE", () => {
    expect(() => resolveConfig({ argv: [], env: { ...FULL, CONFIG_KEY: "a" } })).toThrow(/CONFIG_KEY is set but CONFIG_FILE is not/);
  });
});

describe("resolveConfig: the service's own keys", () => {
  const schema = z.object({ PORT: z.coerce.number().int().positive(), MODE: z.enum(["fast", "safe"]).default("safe") });

  it("validates and types them", () => {
    const { config } = resolveConfig({ argv: ["--PORT=8080"], env: FULL }, schema);
    expect(config.PORT).toBe(8080);
    expect(config.MODE).toBe("safe");
    expect(config.SERVICE_NAME).toBe(FULL.SERVICE_NAME);
  });

  it("names the bad key in the error", () => {
    const error = catchError(() => resolveConfig({ argv: ["--PORT=abc", "--MODE=wild"], env: FULL }, schema));
    expect(error.message).toMatch(/^invalid configuration: PORT: .*; MODE: /);
  });
});

describe("SERVICE_ID", () => {
  it("comes from the configuration when given", () => {
    expect(resolveConfig({ argv: [], env: { ...FULL, SERVICE_ID: "fixed" } }).serviceId).toBe("fixed");
  });

  it("is generated, unique per instance, and starts with SERVICE_NAME", () => {
    const ids = new Set(Array.from({ length: 50 }, () => resolveConfig({ argv: [], env: FULL }).serviceId));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id.startsWith("env-service-")).toBe(true);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected an error");
}

describe("resolveConfig: .env", () => {
  it("reads .env in the working directory below the real environment, and without it nothing changes", () => {
    const cwd = mkdtempSync(join(tmpdir(), "dotenv-test-"));
    writeFileSync(join(cwd, ".env"), "# local settings\nNATS_URL=nats://dotenv:4222\nSERVICE_NAME=from-dotenv\nPOLL_MS=250\n");
    const { config } = resolveConfig({ argv: [], cwd, env: { ...FULL, NATS_URL: undefined, SERVICE_NAME: "from-env" } });
    expect(config.NATS_URL).toBe("nats://dotenv:4222");
    expect(config.SERVICE_NAME).toBe("from-env");
    expect(config["POLL_MS"]).toBe("250");
    const empty = mkdtempSync(join(tmpdir(), "dotenv-none-"));
    expect(() => resolveConfig({ argv: [], cwd: empty, env: { ...FULL, NATS_URL: undefined } })).toThrow(/missing configuration: NATS_URL/);
  });
});


describe("resolveConfig: TLS files", () => {
  it("resolves NATS_TLS_CA, NATS_TLS_CERT and NATS_TLS_KEY against the working directory; empty means unset", () => {
    const { config } = resolveConfig({
      argv: ["--NATS_TLS_KEY=/etc/tls/client.key"],
      env: { ...FULL, NATS_TLS_CA: "", NATS_TLS_CERT: "tls/client.pem" },
      cwd: "/srv/app",
    });
    expect(config.NATS_TLS_CA).toBe("");
    expect(config.NATS_TLS_CERT).toBe(resolve("/srv/app", "tls/client.pem"));
    expect(config.NATS_TLS_KEY).toBe("/etc/tls/client.key");
  });

  it("refuses a client certificate without its key, and a key without its certificate", () => {
    expect(() => resolveConfig({ argv: [], env: { ...FULL, NATS_TLS_CERT: "c.pem" } })).toThrow(
      "NATS_TLS_CERT is set but NATS_TLS_KEY is not: a client certificate needs its private key, set both or neither",
    );
    expect(() => resolveConfig({ argv: [], env: { ...FULL, NATS_TLS_KEY: "c.key", NATS_TLS_CERT: "" } })).toThrow(
      /^NATS_TLS_KEY is set but NATS_TLS_CERT is not/,
    );
  });
});
