import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriesDefinitionYaml } from "../support/definitions";
import { startHttpServer } from "../support/http";
import { monthlySeries, toCsv } from "../workflows/ingest-fixtures";
import { statusKb } from "./harness/rss";
import { SecureStack } from "./harness/stack";

const MiB = 1024 * 1024;
const LIMIT = 64 * MiB;
const OVER = 2 * LIMIT;

describe("a source twice over the byte limit next to a normal ingest on the same worker", () => {
  let stack: SecureStack;
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  let sent = 0;

  beforeAll(async () => {
    const chunk = Buffer.alloc(MiB, "9,2025-01-01,1\n");
    server = await startHttpServer(async (req, res) => {
      if (req.url !== "/huge.csv") return void res.end(toCsv(monthlySeries(["A", "B"], "2025-01", 3, (s, m) => m + s.charCodeAt(0))));
      res.writeHead(200, { "content-type": "text/csv" });
      res.write("series_id,obs_date,value\n");
      let closed = false;
      res.on("close", () => (closed = true));
      while (!closed && sent < OVER) {
        sent += chunk.length;
        if (!res.write(chunk)) await new Promise((r) => (res.once("drain", r), res.once("close", r)));
      }
      res.end();
    });
    stack = new SecureStack({ TIDEMARK_SOURCE_ALLOW: `${server.url}/`, TIDEMARK_MAX_SOURCE_BYTES: String(LIMIT) });
    writeFileSync(join(stack.datasetsDir, "normal.yaml"), seriesDefinitionYaml({ id: "normal", uri: `${server.url}/normal.csv`, mode: "snapshot" }));
    writeFileSync(join(stack.datasetsDir, "huge.yaml"), seriesDefinitionYaml({ id: "huge", uri: `${server.url}/huge.csv`, mode: "snapshot" }));
    await stack.start();
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await server?.close();
  });

  it("fails the big one while streaming, publishes the normal one, and the worker's peak RSS stays bounded", async () => {
    writeFileSync(`/proc/${stack.pid}/clear_refs`, "5");
    const before = statusKb(stack.pid, "VmRSS");
    const [huge, normal] = await Promise.all([stack.cli(["ingest", "huge", "--wait"]), stack.cli(["ingest", "normal", "--wait", "--json"])]);
    const peak = statusKb(stack.pid, "VmHWM");
    console.log(`worker RSS before ${Math.round(before / 1024)} MiB, peak during both ingests ${Math.round(peak / 1024)} MiB; huge source sent ${Math.round(sent / MiB)} of ${OVER / MiB} MiB`);
    expect(normal.code, normal.stderr).toBe(0);
    expect(JSON.parse(normal.stdout)).toMatchObject({ status: "published", counts: { rowsTotal: 6 } });
    expect(huge.code).toBe(1);
    expect(huge.stderr.trim().split("\n").pop()).toBe(
      `tidemark: Ingest of huge failed: Source ${server.url}/huge.csv is more than 67,108,864 bytes, over the limit set by TIDEMARK_MAX_SOURCE_BYTES; shrink the source or raise TIDEMARK_MAX_SOURCE_BYTES on the worker.`,
    );
    expect(sent).toBeLessThan(OVER);
    expect(peak - before).toBeLessThan(OVER / 1024);
  });
});
