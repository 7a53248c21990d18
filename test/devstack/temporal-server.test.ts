import { Connection } from "@temporalio/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTemporalDevServer } from "../../src/devstack/temporal-server";
import { holdPort, pickerHandingOutFirst, type HeldPort } from "../support/held-port";
import { services } from "../support/services";

describe("startTemporalDevServer on a port taken between picking and binding", () => {
  let held: HeldPort;
  beforeEach(async () => {
    held = await holdPort();
  });
  afterEach(() => held.release());

  it("starts again on a new port when the frontend port it was given is taken", async () => {
    const { pickPort, handedOut } = pickerHandingOutFirst(held.port);
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
