import { describe, expect, it } from "vitest";
import { startCli } from "../cli/helpers";

describe("tidemark gateway-sim", () => {
  it("serves the simulator on 127.0.0.1 until SIGINT", async () => {
    const running = startCli(["gateway-sim", "--port", "0", "--json"]);
    const until = Date.now() + 20_000;
    while (!running.stdout().includes("}") && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const { url } = JSON.parse(running.stdout()) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${url}/v1/charges`)).json()).toEqual([]);
    const faults = await fetch(`${url}/admin/faults`, { method: "POST", body: JSON.stringify({ latency_ms: 5 }) });
    expect(await faults.json()).toMatchObject({ latency_ms: 5 });
    process.emit("SIGINT");
    expect((await running.done).code).toBe(0);
    await expect(fetch(`${url}/v1/charges`)).rejects.toThrow();
  });
});
