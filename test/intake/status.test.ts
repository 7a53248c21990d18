import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { FsObjectStore } from "../../src/store/fs";
import { runCli } from "../cli/helpers";
import { services } from "../support/services";
import { TOKENS, click, ndjson, ndjsonHeaders, startBed, tempDir } from "./bed";

const t = tempDir("status");
afterAll(() => t.cleanup());

describe("tidemark status on a push dataset", () => {
  it("shows the inbox backlog: fragments, bytes and the oldest fragment's age", async () => {
    const store = new FsObjectStore(t.dir);
    const bed = await startBed(store, { groupDelayMs: 1 });
    const sizes: number[] = [];
    try {
      for (const batch of [["a", "b"], ["c"]]) {
        const res = await bed.post("/v1/datasets/clicks/records", ndjson(batch.map((id) => click(id))), ndjsonHeaders(TOKENS.clicks));
        expect(res.status).toBe(202);
        sizes.push((await store.head(`datasets/clicks/inbox/${res.body.fragment as string}`)).size);
      }
    } finally {
      await bed.close();
    }
    const env = { TIDEMARK_STORE: pathToFileURL(t.dir).href, TEMPORAL_ADDRESS: services().temporal.address, TEMPORAL_NAMESPACE: services().temporal.namespace };
    const json = await runCli(["status", "clicks", "--json"], env);
    expect(json.code, json.stderr).toBe(0);
    const status = JSON.parse(json.stdout) as { current: unknown; inbox: { fragments: number; bytes: number; oldest: string; oldestAgeSeconds: number } };
    expect(status.current).toBeNull();
    expect(status.inbox).toMatchObject({ fragments: 2, bytes: sizes[0] + sizes[1] });
    expect(status.inbox.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
    const text = await runCli(["status", "clicks"], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`  inbox     2 fragments, ${(sizes[0] + sizes[1]).toLocaleString("en-US")} bytes waiting for compaction; oldest from ${status.inbox.oldest}`);
  });
});
