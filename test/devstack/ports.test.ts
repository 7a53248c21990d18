import { describe, expect, it } from "vitest";
import { PortTakenError, startOnFreshPorts } from "../../src/devstack/ports";

describe("startOnFreshPorts", () => {
  it("starts again while the start fails on a taken port, and returns the first success", async () => {
    const tries: number[] = [];
    const started = await startOnFreshPorts(async () => {
      tries.push(tries.length + 1);
      if (tries.length < 3) throw new PortTakenError(`port of try ${tries.length} taken`);
      return "up";
    });
    expect(started).toBe("up");
    expect(tries).toEqual([1, 2, 3]);
  });

  it("throws the last taken-port failure once the attempts are spent", async () => {
    let tries = 0;
    await expect(
      startOnFreshPorts(async () => {
        tries++;
        throw new PortTakenError(`port of try ${tries} taken`);
      }, 2),
    ).rejects.toThrow("port of try 2 taken");
    expect(tries).toBe(2);
  });

  it("throws any other failure at once", async () => {
    let tries = 0;
    await expect(
      startOnFreshPorts(async () => {
        tries++;
        throw new Error("binary missing");
      }),
    ).rejects.toThrow("binary missing");
    expect(tries).toBe(1);
  });
});
