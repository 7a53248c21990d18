import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMinio } from "../../src/devstack/minio";
import { freePort } from "../../src/devstack/ports";
import { ensureTool } from "../../src/devstack/tools";
import { holdPort, pickerHandingOutFirst, type HeldPort } from "../support/held-port";

describe("startMinio on a port taken between picking and binding", () => {
  let dataDir: string;
  let held: HeldPort;
  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "tidemark-minio-port-"));
    held = await holdPort();
  });
  afterEach(async () => {
    await held.release();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("starts again on new ports when the API port it was given is taken", async () => {
    const binary = await ensureTool("minio", {});
    const { pickPort, handedOut } = pickerHandingOutFirst(held.port);
    const minio = await startMinio({ binary, dataDir, buckets: ["tidemark-port-test"], pickPort });
    try {
      expect(handedOut[0]).toBe(held.port);
      expect(handedOut.length).toBe(4);
      const port = Number(new URL(minio.endpoint).port);
      expect(port).not.toBe(held.port);
      expect(handedOut.slice(2)).toContain(port);
      expect((await fetch(`${minio.endpoint}/minio/health/live`)).ok).toBe(true);
    } finally {
      await minio.stop();
    }
  }, 60_000);

  it("gives up after three attempts on a fixed API port that stays taken, with MinIO's reason", async () => {
    const binary = await ensureTool("minio", {});
    const handedOut: number[] = [];
    const pickPort = async () => {
      const port = await freePort();
      handedOut.push(port);
      return port;
    };
    await expect(startMinio({ binary, dataDir, port: held.port, pickPort })).rejects.toThrow(/port is already in use/i);
    expect(handedOut.length).toBe(3);
  }, 60_000);
});
