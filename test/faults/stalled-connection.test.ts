import { createServer, type Server, type Socket } from "node:net";
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
