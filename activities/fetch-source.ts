import { createHash } from "node:crypto";
import { Transform } from "node:stream";
import type { FetchedSource } from "../src/contracts";
import { DatasetLayout } from "../src/layout";
import { openSource, redactUri } from "../src/sources/open";
import type { ActivityDeps } from "./deps";
import { heartbeater } from "./heartbeat";

/** Step 1: streams the source to `runs/<version>/source`, computing its sha256 on the way. */
export function fetchSourceActivities(deps: ActivityDeps) {
  return {
    async fetchSource({ dataset, version, uri }: { dataset: string; version: string; uri: string }): Promise<FetchedSource> {
      const layout = new DatasetLayout(dataset);
      const key = layout.key(`${layout.runs(version)}source`);
      const opened = await openSource(uri, deps.sources);
      const hash = createHash("sha256");
      let bytes = 0;
      const beat = heartbeater();
      const meter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          bytes += chunk.length;
          beat({ bytes });
          done(null, chunk);
        },
      });
      opened.stream.on("error", (err) => meter.destroy(err));
      await deps.store.putStream(key, opened.stream.pipe(meter), { kind: "overwrite" });
      return { key, uri: redactUri(uri), bytes, sha256: hash.digest("hex"), etag: opened.etag };
    },
  };
}
