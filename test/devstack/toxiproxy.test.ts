import { createServer, type Server, type Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startToxiproxy, ToxiproxyClient } from "../../src/devstack/toxiproxy";
import { freePort } from "../../src/devstack/ports";
import { ensureTool } from "../../src/devstack/tools";

/** A listener on 127.0.0.1 that accepts connections and never answers; it records each connection. */
function silentListener(): Promise<{ server: Server; port: number; sockets: Set<Socket>; accepted: () => number }> {
  let accepted = 0;
  return new Promise((resolve, reject) => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      accepted++;
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({ server, sockets, port: typeof address === "object" && address ? address.port : 0, accepted: () => accepted });
    });
  });
}

describe("Toxiproxy against a port whose holder never answers", () => {
  let silent: Awaited<ReturnType<typeof silentListener>>;
  beforeEach(async () => {
    silent = await silentListener();
  });
  afterEach(async () => {
    for (const socket of silent.sockets) socket.destroy();
    await new Promise((r) => silent.server.close(r));
  });

  it("a client call fails with a reason instead of waiting forever", async () => {
    const client = new ToxiproxyClient(`http://127.0.0.1:${silent.port}`);
    await expect(client.version()).rejects.toThrow(/Toxiproxy GET \/version did not answer within \d+ s; check that http:\/\/127\.0\.0\.1:\d+ is Toxiproxy's API\./);
    expect(silent.accepted()).toBe(1);
  }, 30_000);

  it("a start on that port fails naming the taken port, without waiting out its 60 s start timeout", async () => {
    const binary = await ensureTool("toxiproxy", {});
    const start = startToxiproxy({ binary, port: silent.port, startTimeoutMs: 60_000 });
    await expect(start).rejects.toThrow(new RegExp(`Toxiproxy on http://127\\.0\\.0\\.1:${silent.port} failed: its API port ${silent.port} is taken by another process`));
    await expect(start).rejects.toThrow(/bind: address already in use/);
  }, 30_000);

  it("a start on a picked port that turns out taken starts again on a new one", async () => {
    const binary = await ensureTool("toxiproxy", {});
    const handedOut: number[] = [];
    const pickPort = async () => {
      const port = handedOut.length === 0 ? silent.port : await freePort();
      handedOut.push(port);
      return port;
    };
    const toxiproxy = await startToxiproxy({ binary, pickPort });
    try {
      expect(handedOut[0]).toBe(silent.port);
      expect(handedOut.length).toBe(2);
      expect(toxiproxy.apiUrl).toBe(`http://127.0.0.1:${handedOut[1]}`);
      expect((await toxiproxy.client.version()).length).toBeGreaterThan(0);
    } finally {
      await toxiproxy.stop();
    }
  }, 30_000);
});
