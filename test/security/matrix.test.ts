import { symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriesDefinitionYaml } from "../support/definitions";
import { startHttpServer } from "../support/http";
import { monthlySeries, toCsv } from "../workflows/ingest-fixtures";
import { SecureStack, type Exit } from "./harness/stack";

/** A value the worker has in its environment: it must never come back out. */
const ENV_SECRET = `env-secret-${Date.now().toString(36)}-0f9e`;
/** Content of files and HTTP bodies the attacks point at: it must never come back out. */
const MARKER = `marker-${Date.now().toString(36)}-c0ffee`;

interface Attack {
  name: string;
  args: (s: SecureStack) => string[];
  /** The dataset whose run history must stay clean, when the case starts a run. */
  dataset?: string;
  exit: number;
  message: RegExp;
  /** Texts that must appear nowhere (besides {@link MARKER} and {@link ENV_SECRET}). */
  secrets?: string[];
}

const BASE = "sec_base";
const JSON_DS = "sec_json";
const HOOK_DS = "sec_hook";

function ingest(source: string, dataset = BASE): (s: SecureStack) => string[] {
  return () => ["ingest", dataset, "--source", source, "--wait"];
}

describe("attack matrix: tidemark CLI against a real, fenced worker process", () => {
  const closed = new SecureStack({ TM_SEC_SECRET: ENV_SECRET });
  let open: SecureStack;
  let loopback: Awaited<ReturnType<typeof startHttpServer>>;
  let allowed: Awaited<ReturnType<typeof startHttpServer>>;
  const messages: string[] = [];

  beforeAll(async () => {
    loopback = await startHttpServer((_req, res) => void res.end(`series_id,obs_date,value\n${MARKER},2025-01-01,1\n`));
    allowed = await startHttpServer((req, res) => {
      if (req.url === "/redirect") return void res.writeHead(302, { location: "http://10.1.2.3/internal.csv?token=tok-redirect-secret" }).end();
      if (req.url === "/big.csv") {
        res.writeHead(200, { "content-type": "text/csv" });
        const line = `${MARKER},2025-01-01,1\n`;
        res.end(`series_id,obs_date,value\n${line.repeat(Math.ceil((3 << 20) / line.length))}`);
        return;
      }
      res.end(toCsv(monthlySeries(["A"], "2025-01", 2, (_s, m) => m)));
    });
    open = new SecureStack({ TIDEMARK_SOURCE_ALLOW: `${allowed.url}/`, TIDEMARK_MAX_SOURCE_BYTES: String(1 << 20), TM_SEC_SECRET: ENV_SECRET });
    const d = closed.datasetsDir;
    writeFileSync(join(d, "series.csv"), toCsv(monthlySeries(["A", "B"], "2025-01", 2, (s, m) => m + s.charCodeAt(0))));
    writeFileSync(join(d, `${BASE}.yaml`), seriesDefinitionYaml({ id: BASE, uri: pathToFileURL(join(d, "series.csv")).href, mode: "snapshot" }));
    writeFileSync(join(open.datasetsDir, `${BASE}.yaml`), seriesDefinitionYaml({ id: BASE, uri: `${allowed.url}/series.csv`, mode: "snapshot" }));
    symlinkSync("/etc", join(d, "etc-link"));
    writeFileSync(join(d, "sparse.csv"), "");
    truncateSync(join(d, "sparse.csv"), 10 * 1024 ** 3);
    writeFileSync(join(d, "wide.csv"), `${Array.from({ length: 100_000 }, (_, i) => `${MARKER}_${i}`).join(",")}\n1\n`);
    writeFileSync(join(d, "deep.ndjson"), `{"series_id":"${MARKER}","obs_date":"2025-01-01","value":${"[".repeat(100_000)}${"]".repeat(100_000)}}\n`);
    writeFileSync(
      join(d, `${JSON_DS}.yaml`),
      seriesDefinitionYaml({ id: JSON_DS, uri: pathToFileURL(join(d, "deep.ndjson")).href, mode: "snapshot" }).replace("format: csv", "format: ndjson"),
    );
    writeFileSync(join(d, `${HOOK_DS}.yaml`), seriesDefinitionYaml({ id: HOOK_DS, uri: pathToFileURL(join(d, "series.csv")).href, mode: "snapshot", notifyUrl: "https://169.254.169.254/latest/meta-data/" }));
    await Promise.all([closed.start(), open.start()]);
    for (const stack of [closed, open]) {
      const base = await stack.cli(["ingest", BASE, "--wait"]);
      expect(base.code, base.stderr).toBe(0);
    }
  }, 240_000);

  afterAll(async () => {
    await Promise.all([closed.stop(), open?.stop()]);
    await loopback?.close();
    await allowed?.close();
    console.log(`attack matrix messages:\n${messages.join("\n")}`);
  });

  const attacks: Attack[] = [
    { name: "file:///etc/passwd", args: ingest("file:///etc/passwd"), dataset: BASE, exit: 1, message: /^Ingest of sec_base failed: Source file:\/\/\/etc\/passwd is not allowed: file sources must be under the datasets directory or the worker's working directory/, secrets: ["root:x:0:0"] },
    { name: "file:///proc/self/environ", args: ingest("file:///proc/self/environ"), dataset: BASE, exit: 1, message: /Source file:\/\/\/proc\/self\/environ is not allowed/ },
    { name: "a bare path outside the allowed directories", args: ingest("/etc/hostname"), dataset: BASE, exit: 1, message: /Source \/etc\/hostname is not allowed/ },
    { name: "../ in a dataset id", args: () => ["status", "../sec_base"], exit: 1, message: /^Dataset id "\.\.\/sec_base" is invalid/ },
    { name: "../ in a dataset id of read", args: () => ["read", "..", "--format", "csv"], exit: 1, message: /^Dataset id "\.\." is invalid/ },
    { name: "../ in --month", args: () => ["files", BASE, "--month", "../2025-01"], exit: 2, message: /^--month "\.\.\/2025-01" is not a month/ },
    { name: "../ in --version", args: () => ["read", BASE, "--version", "../../etc/passwd"], exit: 2, message: /version/ },
    { name: "../ in a definition path", args: () => ["ingest", "../../../../../../etc/passwd"], exit: 1, message: /^\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd: the definition must be a mapping with id, source and schema \(got a string\)\.$/, secrets: ["root:x:0:0"] },
    { name: "a symlink from the datasets directory to /etc", args: (s) => ingest(pathToFileURL(join(s.datasetsDir, "etc-link", "passwd")).href)(s), dataset: BASE, exit: 1, message: /goes through a symlink that leads outside the allowed directories/, secrets: ["root:x:0:0"] },
    { name: "the cloud metadata address 169.254.169.254", args: ingest("http://169.254.169.254/latest/meta-data/iam/security-credentials/"), dataset: BASE, exit: 1, message: /its host resolves to 169\.254\.169\.254, a cloud metadata address, and by default only public addresses may be reached; list it in TIDEMARK_SOURCE_ALLOW/ },
    { name: "a private address", args: ingest("http://10.0.0.5/series.csv"), dataset: BASE, exit: 1, message: /its host resolves to 10\.0\.0\.5, a private address/ },
    { name: "a loopback port that is not allowed", args: () => ingest(`${loopback.url}/series.csv`)(closed), dataset: BASE, exit: 1, message: /its host resolves to 127\.0\.0\.1, a loopback address/ },
    { name: "localhost", args: () => ingest(`${loopback.url.replace("127.0.0.1", "localhost")}/series.csv`)(closed), dataset: BASE, exit: 1, message: /its host resolves to 127\.0\.0\.1, a loopback address/ },
    { name: "another bucket", args: ingest("s3://someone-elses-bucket/series.csv"), dataset: BASE, exit: 1, message: /this worker's store is not on S3, so no bucket is allowed by default/ },
    { name: "a sparse 10 GB file", args: (s) => ingest(pathToFileURL(join(s.datasetsDir, "sparse.csv")).href)(s), dataset: BASE, exit: 1, message: /is 10,737,418,240 bytes \(at most 2,147,483,648\), over the limit set by TIDEMARK_MAX_SOURCE_BYTES/ },
    { name: "a header with 100,000 columns", args: (s) => ingest(pathToFileURL(join(s.datasetsDir, "wide.csv")).href)(s), dataset: BASE, exit: 1, message: /wide\.csv has more than 1,000 columns, over the limit set by TIDEMARK_MAX_COLUMNS; shrink the source or raise TIDEMARK_MAX_COLUMNS on the worker\.$/ },
    { name: "deeply nested JSON", args: () => ["ingest", JSON_DS, "--wait"], dataset: JSON_DS, exit: 1, message: /deep\.ndjson line 1 nests deeper than 64 levels, over the limit set by TIDEMARK_MAX_JSON_DEPTH/ },
    { name: "a webhook to the metadata address", args: () => ["ingest", HOOK_DS, "--wait"], dataset: HOOK_DS, exit: 1, message: /Webhook https:\/\/169\.254\.169\.254\/latest\/meta-data\/ is not allowed: its host resolves to 169\.254\.169\.254, a cloud metadata address/ },
  ];
  const openAttacks: Attack[] = [
    { name: "a redirect from an allowed loopback server to a private address", args: () => ingest(`${allowed.url}/redirect`)(open), dataset: BASE, exit: 1, message: /redirected to http:\/\/10\.1\.2\.3\/internal\.csv\?(token=redacted|\[redacted\]) is not allowed/, secrets: ["tok-redirect-secret"] },
    { name: "a body over the byte limit", args: () => ingest(`${allowed.url}/big.csv`)(open), dataset: BASE, exit: 1, message: /is more than 1,048,576 bytes, over the limit set by TIDEMARK_MAX_SOURCE_BYTES/ },
  ];

  async function attack(stack: SecureStack, a: Attack): Promise<void> {
    const before = stack.storeState();
    const logBefore = stack.logs().length;
    const run: Exit = await stack.cli(a.args(stack));
    const lines = run.stderr.trim().split("\n");
    const last = lines.pop() ?? "";
    messages.push(`${a.name}: exit ${run.code}: ${last}`);
    for (const progress of lines) expect(progress).toMatch(/^[a-z0-9_.-]+ \d{8}T\d{9}Z-[0-9a-f]{8} (\[\d+\/\d+\] )?\w+/);
    expect(last).toMatch(/^tidemark: /);
    const message = last.replace(/^tidemark: /, "");
    expect(message).toMatch(a.message);
    expect(message).not.toMatch(/\n/);
    expect(run.code).toBe(a.exit);
    expect(stack.storeState()).toEqual(before);
    const history = a.dataset ? await stack.historyText(a.dataset) : "";
    const logs = stack.logs().slice(logBefore);
    for (const secret of [MARKER, ENV_SECRET, ...(a.secrets ?? [])]) {
      for (const [where, text] of [["stdout", run.stdout], ["stderr", run.stderr], ["history", history], ["worker logs", logs]]) expect(text.includes(secret), `${secret} in ${where}`).toBe(false);
    }
  }

  for (const a of attacks) it(a.name, () => attack(closed, a), 120_000);
  for (const a of openAttacks) it(a.name, () => attack(open, a), 120_000);

  it("no attack reached a server it was refused, and the fence refused nothing", () => {
    expect(loopback.received).toEqual([]);
    expect(allowed.received.map((r) => r.url).sort()).toEqual(["/big.csv", "/redirect", "/series.csv"]);
    expect([...closed.fenced(), ...open.fenced()]).toEqual([]);
  });
});
