import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** PEM files made for one test run: a CA with a server and a client certificate, and a second CA that signed neither. */
export interface TestCerts {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed neither certificate above. */
  wrongCa: string;
  /** A client certificate signed by `wrongCa`. */
  wrongClientCert: string;
  wrongClientKey: string;
}

/** Makes the certificates with the openssl command (on PATH), as an operator would. */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "tls-test-"));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });

  const makeCa = (name: string) => {
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name}`,
      "-keyout", file(`${name}.key`), "-out", file(`${name}.pem`));
  };
  const makeCert = (name: string, ca: string, extensions: string) => {
    writeFileSync(file(`${name}.ext`), extensions);
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${name}`, "-keyout", file(`${name}.key`), "-out", file(`${name}.csr`));
    openssl("x509", "-req", "-in", file(`${name}.csr`), "-CA", file(`${ca}.pem`), "-CAkey", file(`${ca}.key`), "-CAcreateserial",
      "-days", "2", "-extfile", file(`${name}.ext`), "-out", file(`${name}.pem`));
  };
  makeCa("test-ca");
  makeCa("wrong-ca");
  makeCert("server", "test-ca", "subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth\n");
  makeCert("client", "test-ca", "extendedKeyUsage = clientAuth\n");
  makeCert("stranger", "wrong-ca", "extendedKeyUsage = clientAuth\n");
  return {
    dir,
    ca: file("test-ca.pem"),
    serverCert: file("server.pem"),
    serverKey: file("server.key"),
    clientCert: file("client.pem"),
    clientKey: file("client.key"),
    wrongCa: file("wrong-ca.pem"),
    wrongClientCert: file("stranger.pem"),
    wrongClientKey: file("stranger.key"),
  };
}

/** The config lines of a nats-server that requires TLS and a client certificate signed by `certs.ca`. */
export function tlsServerConfig(certs: TestCerts): string[] {
  return [`tls { cert_file: ${JSON.stringify(certs.serverCert)}, key_file: ${JSON.stringify(certs.serverKey)}, ca_file: ${JSON.stringify(certs.ca)}, verify: true, timeout: 2 }`];
}
