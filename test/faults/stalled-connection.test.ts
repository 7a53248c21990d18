import { spawn, type ChildProcess } from "node:child_process";
import { connect, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/errors";
import { S3_SOCKET_IDLE_TIMEOUT_MS, defaultS3Client } from "../../src/store/open";
import { S3ObjectStore } from "../../src/store/s3";

/**
 * An S3 endpoint that accepts connections and never answers (a black-holed request): the default
 * S3 client gives up after its idle timeout with a retryable error instead of hanging the activity.
 */
describe("a silent S3 connection", { timeout: S3_SOCKET_IDLE_TIMEOUT_MS * 3 }, () => {
  let server: Server;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.push(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it("fails with StoreUnavailableError after the idle timeout", async () => {
    const { port } = server.address() as AddressInfo;
    const client = defaultS3Client({ endpoint: `http://127.0.0.1:${port}`, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId: "k", secretAccessKey: "s" } });
    const store = new S3ObjectStore({ client, bucket: "silent", prefix: "" });
    const started = Date.now();
    try {
      const err = await store.get("a/b.json").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(S3_SOCKET_IDLE_TIMEOUT_MS - 1000);
      expect(sockets.length).toBe(1);
    } finally {
      client.destroy();
    }
  });
});

/**
 * A listener whose process is stopped (SIGSTOP) never accepts: once its backlog is full the kernel
 * drops further SYNs, so a new connection hangs in connect. The default S3 client gives up after its
 * connect timeout (10 s), well before the idle timeout, with a retryable error.
 */
describe("an S3 endpoint that never completes the TCP handshake", { timeout: 60_000 }, () => {
  let listener: ChildProcess;
  let port: number;
  const fillers: Socket[] = [];

  beforeAll(async () => {
    listener = spawn(process.execPath, ["-e", "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>console.log(s.address().port))"], { stdio: ["ignore", "pipe", "inherit"] });
    port = await new Promise<number>((resolve) => listener.stdout!.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))));
    listener.kill("SIGSTOP");
    // Fill the accept queue (backlog 1 holds two); these handshakes complete, later ones are dropped.
    for (let i = 0; i < 2; i++) {
      const socket = connect(port, "127.0.0.1");
      fillers.push(socket);
      await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    }
  });
  afterAll(() => {
    for (const s of fillers) s.destroy();
    listener?.kill("SIGKILL");
  });

  it("fails with StoreUnavailableError after the connect timeout, not the idle timeout", async () => {
    const probe = connect(port, "127.0.0.1");
    const probeOutcome = await Promise.race([
      new Promise<string>((resolve) => probe.once("connect", () => resolve("connected")).once("error", (e) => resolve(e.message))),
      new Promise<string>((resolve) => setTimeout(() => resolve("pending"), 1000)),
    ]);
    probe.destroy();
    expect(probeOutcome, "the handshake of a third connection should hang").toBe("pending");

    const client = defaultS3Client({ endpoint: `http://127.0.0.1:${port}`, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId: "k", secretAccessKey: "s" } });
    const store = new S3ObjectStore({ client, bucket: "unanswered", prefix: "" });
    const started = Date.now();
    try {
      const err = await store.get("a/b.json").catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(StoreUnavailableError);
      const cause = (err as Error & { cause?: Error }).cause;
      expect(cause?.message).toContain("did not establish a connection with the server within the configured timeout of 10000 ms");
      expect(elapsed).toBeGreaterThanOrEqual(9_000);
      expect(elapsed).toBeLessThan(S3_SOCKET_IDLE_TIMEOUT_MS);
      console.log(`[faults] connect to a stopped listener gave up after ${elapsed} ms: ${(err as Error).message}`);
    } finally {
      client.destroy();
    }
  });
});
