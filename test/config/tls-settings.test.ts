import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runtimeConfig, TemporalSettingsError } from "../../src/config/runtime";

const dir = mkdtempSync(join(tmpdir(), "tidemark-tls-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CERT = join(dir, "client.pem");
const KEY = join(dir, "client.key");
const CA = join(dir, "ca.pem");
writeFileSync(CERT, "cert");
writeFileSync(KEY, "key");
writeFileSync(CA, "ca");

const tlsOf = (env: NodeJS.ProcessEnv) => runtimeConfig(env).temporal.tls;
const failureOf = (env: NodeJS.ProcessEnv): unknown => {
  try {
    runtimeConfig(env);
  } catch (err) {
    return err;
  }
  throw new Error("runtimeConfig accepted the settings");
};

describe("Temporal TLS settings from the environment", () => {
  it("connects in plaintext when nothing asks for TLS", () => {
    expect(tlsOf({})).toBeUndefined();
    expect(tlsOf({ TEMPORAL_TLS: "" })).toBeUndefined();
    expect(tlsOf({ TEMPORAL_TLS: "false" })).toBeUndefined();
    expect(tlsOf({ TEMPORAL_TLS: "0" })).toBeUndefined();
  });

  it("turns TLS on for true or 1, and when an API key, a client certificate or a CA is set", () => {
    const plain = { clientCertPair: undefined, serverRootCACertificate: undefined };
    expect(tlsOf({ TEMPORAL_TLS: "true" })).toEqual(plain);
    expect(tlsOf({ TEMPORAL_TLS: "TRUE" })).toEqual(plain);
    expect(tlsOf({ TEMPORAL_TLS: "1" })).toEqual(plain);
    expect(tlsOf({ TEMPORAL_API_KEY: "k" })).toEqual(plain);
    expect(tlsOf({ TEMPORAL_TLS_CERT: CERT, TEMPORAL_TLS_KEY: KEY })).toEqual({ clientCertPair: { crt: Buffer.from("cert"), key: Buffer.from("key") }, serverRootCACertificate: undefined });
    expect(tlsOf({ TEMPORAL_TLS_CA: CA })).toEqual({ clientCertPair: undefined, serverRootCACertificate: Buffer.from("ca") });
  });

  it.each(["maybe", "yes", "on", "2"])("refuses TEMPORAL_TLS=%s, naming the accepted values", (value) => {
    const err = failureOf({ TEMPORAL_TLS: value });
    expect(err).toBeInstanceOf(TemporalSettingsError);
    expect((err as Error).message).toBe(`TEMPORAL_TLS is "${value}", which is not a switch; set it to true, false, 1 or 0, or unset it.`);
  });

  it.each([{ TEMPORAL_TLS_CERT: CERT }, { TEMPORAL_TLS_KEY: KEY }, { TEMPORAL_TLS_CERT: CERT, TEMPORAL_TLS_KEY: "" }])("refuses half a client certificate pair: %o", (env) => {
    const err = failureOf(env);
    expect(err).toBeInstanceOf(TemporalSettingsError);
    expect((err as Error).message).toBe("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together (mTLS): set both or neither.");
  });

  it.each([
    { name: "TEMPORAL_TLS_CERT", env: { TEMPORAL_TLS_CERT: "/nonexist.pem", TEMPORAL_TLS_KEY: KEY }, path: "/nonexist.pem", code: "ENOENT" },
    { name: "TEMPORAL_TLS_KEY", env: { TEMPORAL_TLS_CERT: CERT, TEMPORAL_TLS_KEY: "/nonexist.key" }, path: "/nonexist.key", code: "ENOENT" },
    { name: "TEMPORAL_TLS_CA", env: { TEMPORAL_TLS_CA: dir }, path: dir, code: "EISDIR" },
  ])("names $name and its path when the file cannot be read", ({ name, env, path, code }) => {
    const err = failureOf(env);
    expect(err).toBeInstanceOf(TemporalSettingsError);
    expect((err as Error).message).toBe(`${name} names ${path}, which cannot be read (${code}); fix the path or unset it.`);
    expect((err as Error).name).toBe("TemporalSettingsError");
  });
});
