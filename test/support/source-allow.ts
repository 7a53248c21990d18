import { realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseAllowList, type SourcePolicy } from "../../src/sources/allow";

/**
 * The explicit source allow-list of test workers (`TIDEMARK_SOURCE_ALLOW`): files in the temp
 * directory and the repository, HTTP servers on 127.0.0.1, and any MinIO bucket. The product's
 * closed defaults stay as they are; the security tests start workers without this list.
 */
export function testSourceAllow(): string {
  const dirs = [realpathSync(tmpdir()), realpathSync(join(__dirname, "..", ".."))];
  return [...dirs.map((d) => `${pathToFileURL(d).href}/`), "http://127.0.0.1", "s3://"].join(",");
}

/** {@link testSourceAllow} as a policy for in-process test workers. */
export function testSourcePolicy(): SourcePolicy {
  return { allow: parseAllowList(testSourceAllow()), fileRoots: [], storeBucket: null };
}
