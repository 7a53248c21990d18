import { Connection } from "@temporalio/client";
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../../src/devstack/ports";
import { startTemporalDevServer } from "../../src/devstack/temporal-server";
import { services } from "../support/services";

/** A listener on 127.0.0.1 holding a port, as another process starting at the same time would. */
function holdPort(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  return new Promise((resolve, reject) => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({ server, sockets, port: typeof address === "object" && address ? address.port : 0 });
    });
  });
}

describe("startTemporalDevServer on a port taken between picking and binding", () => {
  let held: Awaited<ReturnType<typeof holdPort>>;
  beforeEach(async () => {
    held = await holdPort();
  });
  afterEach(async () => {
    for (const socket of held.sockets) socket.destroy();
    await new Promise((r) => held.server.close(r));
  });

  it("starts again on a new port when the frontend port it was given is taken", async () => {
    const handedOut: number[] = [];
    const pickPort = async () => {
      const port = handedOut.length === 0 ? held.port : await freePort();
      handedOut.push(port);
      return port;
    };
    const server = await startTemporalDevServer({ binary: services().temporal.binary, uiPort: false, pickPort });
    try {
      expect(handedOut[0]).toBe(held.port);
      expect(handedOut.length).toBe(2);
      expect(server.address).toBe(`127.0.0.1:${handedOut[1]}`);
      const connection = await Connection.connect({ address: server.address });
      try {
        const res = await connection.workflowService.describeNamespace({ namespace: server.namespace });
        expect(res.namespaceInfo?.name).toBe(server.namespace);
      } finally {
        await connection.close();
      }
    } finally {
      await server.stop();
    }
  }, 90_000);

  it("fails with the server's reason when the taken port was given", async () => {
    await expect(startTemporalDevServer({ binary: services().temporal.binary, port: held.port, uiPort: false })).rejects.toThrow(/bind: address already in use/);
  }, 90_000);
});
