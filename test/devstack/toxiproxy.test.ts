import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startToxiproxy, ToxiproxyClient } from "../../src/devstack/toxiproxy";
import { ensureTool } from "../../src/devstack/tools";
import { holdPort, pickerHandingOutFirst, type HeldPort } from "../support/held-port";

describe("Toxiproxy against a port whose holder never answers", () => {
  let held: HeldPort;
  beforeEach(async () => {
    held = await holdPort();
  });
  afterEach(() => held.release());

  it("a client call fails with a reason instead of waiting forever", async () => {
    const client = new ToxiproxyClient(`http://127.0.0.1:${held.port}`);
    await expect(client.version()).rejects.toThrow(/Toxiproxy GET \/version did not answer within \d+ s; check that http:\/\/127\.0\.0\.1:\d+ is Toxiproxy's API\./);
    expect(held.accepted()).toBe(1);
  }, 30_000);

  it("a start on that port fails naming the taken port, without waiting out its 60 s start timeout", async () => {
    const binary = await ensureTool("toxiproxy", {});
    const start = startToxiproxy({ binary, port: held.port, startTimeoutMs: 60_000 });
    await expect(start).rejects.toThrow(new RegExp(`Toxiproxy on http://127\\.0\\.0\\.1:${held.port} failed: its API port ${held.port} is taken by another process`));
    await expect(start).rejects.toThrow(/bind: address already in use/);
  }, 30_000);

  it("a start on a picked port that turns out taken starts again on a new one", async () => {
    const binary = await ensureTool("toxiproxy", {});
    const { pickPort, handedOut } = pickerHandingOutFirst(held.port);
    const toxiproxy = await startToxiproxy({ binary, pickPort });
    try {
      expect(handedOut[0]).toBe(held.port);
      expect(handedOut.length).toBe(2);
      expect(toxiproxy.apiUrl).toBe(`http://127.0.0.1:${handedOut[1]}`);
      expect((await toxiproxy.client.version()).length).toBeGreaterThan(0);
    } finally {
      await toxiproxy.stop();
    }
  }, 30_000);
});
