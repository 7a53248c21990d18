import { fenceAttempts, fenceLoaded } from "../support/fence-in-process";
import { createServer, type Server } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { assertListening, isRefusal, probeTarget, splitAddress } from "../../src/config/refused";

async function listen(): Promise<{ server: Server; port: number; accepted: () => number }> {
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port, accepted: () => accepted };
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe("the check that something listens at a loopback Temporal address", () => {
  it("throws ECONNREFUSED, naming the address, when nothing listens there", async () => {
    const { server, port } = await listen();
    await close(server);
    const err = await assertListening(`127.0.0.1:${port}`, {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ECONNREFUSED", message: `connection refused: nothing listens at 127.0.0.1:${port}` });
  });

  it("resolves when a server accepts the connection, which it then sees closed", async () => {
    const { server, port, accepted } = await listen();
    try {
      await assertListening(`127.0.0.1:${port}`, {});
      await expect.poll(accepted).toBe(1);
    } finally {
      await close(server);
    }
  });

  it("probes only loopback hosts with a numeric port, and none when a proxy is configured", () => {
    expect(probeTarget("127.0.0.1:7233", {})).toEqual({ host: "127.0.0.1", port: 7233 });
    expect(probeTarget("localhost:7233", {})).toEqual({ host: "localhost", port: 7233 });
    expect(probeTarget("[::1]:7233", {})).toEqual({ host: "::1", port: 7233 });
    expect(probeTarget("temporal.example.com:7233", {})).toBeNull();
    expect(probeTarget("10.0.0.5:7233", {})).toBeNull();
    expect(probeTarget("127.0.0.1:7233", { https_proxy: "http://proxy:3128" })).toBeNull();
    expect(probeTarget("http://127.0.0.1:1", {})).toBeNull();
  });

  it("reads host and port, refusing addresses without a valid port", () => {
    expect(splitAddress(" ns.tmprl.cloud:7233 ")).toEqual({ host: "ns.tmprl.cloud", port: 7233 });
    expect(splitAddress("[fe80::1]:80")).toEqual({ host: "fe80::1", port: 80 });
    expect(splitAddress("127.0.0.1")).toBeNull();
    expect(splitAddress("127.0.0.1:0")).toBeNull();
    expect(splitAddress("127.0.0.1:70000")).toBeNull();
  });

  it("counts as a refusal only ECONNREFUSED, or an aggregate of nothing else", () => {
    expect(isRefusal(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isRefusal(new AggregateError([Object.assign(new Error("a"), { code: "ECONNREFUSED" }), Object.assign(new Error("b"), { code: "ECONNREFUSED" })]))).toBe(true);
    expect(isRefusal(new AggregateError([Object.assign(new Error("a"), { code: "ECONNREFUSED" }), Object.assign(new Error("b"), { code: "ETIMEDOUT" })]))).toBe(false);
    expect(isRefusal(Object.assign(new Error("x"), { code: "EHOSTUNREACH" }))).toBe(false);
    expect(isRefusal(new AggregateError([]))).toBe(false);
  });
});

describe("this file's process", () => {
  it("runs behind the network fence, which refused nothing (the non-loopback addresses above are only parsed)", async () => {
    expect(await fenceLoaded()).toBe(true);
  });
});

afterAll(() => {
  expect(fenceAttempts()).toEqual([]);
});
