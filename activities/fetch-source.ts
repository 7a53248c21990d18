import { createHash } from "node:crypto";
import { Transform } from "node:stream";
import type { FetchedSource } from "../src/contracts";
import { expandEnvReferences } from "../src/config/env-refs";
import { DatasetLayout } from "../src/layout";
import { openSource, redactUri } from "../src/sources/open";
import type { ActivityDeps } from "./deps";
import { activityContext, withKeepAlive } from "./heartbeat";

/** Step 1: streams the source to `runs/<version>/source`, computing its sha256 on the way. */
export function fetchSourceActivities(deps: ActivityDeps) {
  return {
    fetchSource: ({ dataset, version, uri }: { dataset: string; version: string; uri: string }): Promise<FetchedSource> =>
      withKeepAlive(async (signal, note) => {
        const layout = new DatasetLayout(dataset);
        const key = layout.key(`${layout.runs(version)}source`);
        const resolved = expandEnvReferences(uri, deps.env ?? process.env, { required: true, where: `Source ${redactUri(uri)} of ${dataset}` });
        const opened = await openSource(resolved, { ...deps.sources, signal, attempt: activityContext()?.info.attempt });
        const hash = createHash("sha256");
        let bytes = 0;
        const meter = new Transform({
          transform(chunk: Buffer, _enc, done) {
            hash.update(chunk);
            bytes += chunk.length;
            note({ bytes });
            done(null, chunk);
          },
        });
        opened.stream.on("error", (err) => meter.destroy(err));
        signal?.addEventListener("abort", () => opened.stream.destroy(new Error("fetch cancelled")), { once: true });
        await deps.store.putStream(key, opened.stream.pipe(meter), { kind: "overwrite" });
        return { key, uri: redactUri(uri), bytes, sha256: hash.digest("hex"), etag: opened.etag };
      }),
  };
}
