import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpServer } from "../support/http";
import { SecureStack } from "./harness/stack";

const tag = Date.now().toString(36);
/** Every secret the run uses, by kind; none may appear in the history, the logs, the manifest or the CLI output. */
const SECRETS = {
  uriUserinfo: `user-pw-${tag}-9a8b`,
  queryToken: `tok-${tag}-77aa`,
  amzSignature: `f00dfeed${tag}0123456789abcdef`,
  apiKey: `ak_live_${tag}_5c5c`,
  webhookHeader: `hook-bearer-${tag}-1234`,
  envSecret: `env-secret-${tag}-4242`,
  sourceLine: `LEAKROW-${tag}-a-whole-line-of-the-source-file-that-must-stay-inside-the-store`,
};
const basic = Buffer.from(`reader:${SECRETS.uriUserinfo}`).toString("base64");

describe("secrets and source content never reach histories, logs, manifests or the CLI", () => {
  let stack: SecureStack;
  let source: Awaited<ReturnType<typeof startHttpServer>>;
  let hook: Awaited<ReturnType<typeof startHttpServer>>;
  let body = "";

  beforeAll(async () => {
    source = await startHttpServer((req, res) => {
      const q = new URL(req.url, "http://x").searchParams;
      const ok = req.headers.authorization === `Basic ${basic}` && q.get("token") === SECRETS.queryToken && q.get("X-Amz-Signature") === SECRETS.amzSignature && q.get("api_key") === SECRETS.apiKey;
      if (!ok) return void res.writeHead(403).end();
      res.end(body);
    });
    hook = await startHttpServer((_req, res) => void res.end("ok"));
    stack = new SecureStack({
      TIDEMARK_SOURCE_ALLOW: `${source.url}/`,
      TIDEMARK_WEBHOOK_ALLOW: `${hook.url}/`,
      LEAK_USER: "reader",
      LEAK_PASS: SECRETS.uriUserinfo,
      LEAK_TOKEN: SECRETS.queryToken,
      LEAK_SIG: SECRETS.amzSignature,
      LEAK_API_KEY: SECRETS.apiKey,
      LEAK_HOOK_TOKEN: SECRETS.webhookHeader,
      LEAK_SECRET: SECRETS.envSecret,
    });
    const uri = `${source.url.replace("http://", "http://${LEAK_USER}:${LEAK_PASS}@")}/series.csv?token=\${LEAK_TOKEN}&X-Amz-Signature=\${LEAK_SIG}&api_key=\${LEAK_API_KEY}`;
    writeFileSync(
      join(stack.datasetsDir, "leak.yaml"),
      [
        "id: leak",
        `source: { uri: "${uri}", format: csv }`,
        "mode: snapshot",
        "schema:",
        "  columns: [{ name: series_id, type: string }, { name: obs_date, type: date }, { name: value, type: double }]",
        "  key: [series_id, obs_date]",
        "  partition_by: obs_date",
        "notify:",
        `  - { url: "${hook.url}/published", headers: { Authorization: "Bearer \${LEAK_HOOK_TOKEN}", X-Signature: "\${LEAK_SECRET}" } }`,
        "",
      ].join("\n"),
    );
    await stack.start();
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await source?.close();
    await hook?.close();
  });

  it("a published run and a failing run with the secret line in a bad row leak none of 8 secret kinds (userinfo, ?token=, X-Amz-Signature, Basic Authorization, webhook header, *_SECRET env, API key, source line)", async () => {
    body = `series_id,obs_date,value\nA,2025-01-01,1\n${SECRETS.sourceLine},2025-01-02,2\n`;
    const published = await stack.cli(["ingest", "leak", "--wait", "--json"]);
    expect(published.code, published.stderr).toBe(0);
    const run1 = JSON.parse(published.stdout) as { status: string; url: string };
    expect(run1.status).toBe("published");
    expect(hook.received.map((r) => [r.headers.authorization, r.headers["x-signature"]])).toEqual([[`Bearer ${SECRETS.webhookHeader}`, SECRETS.envSecret]]);

    body = `series_id,obs_date,value\nA,2025-01-01,1\nB,2025-01-02,${SECRETS.sourceLine}\n`;
    const failed = await stack.cli(["ingest", "leak", "--wait"]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/row 3: column "value" is ".{1,32}", which is not a number/);
    expect(source.received).toHaveLength(2);

    const runId = decodeURIComponent(run1.url.split("/").slice(-2, -1)[0]);
    const texts: Record<string, string> = {
      "history of the published run": await stack.historyText("leak", runId),
      "history of the failed run": await stack.historyText("leak"),
      "worker logs": stack.logs(),
      "manifests and pointer": stack.storeJson(),
      "CLI output": published.stdout + published.stderr + failed.stdout + failed.stderr,
    };
    expect(texts["history of the published run"]).toContain("${LEAK_TOKEN}");
    expect(texts["history of the failed run"]).toContain("not a number");
    expect(texts["manifests and pointer"]).toContain('"dataset_id": "leak"');
    expect(texts["worker logs"]).toContain("worker polling");
    const found: string[] = [];
    for (const [kind, secret] of [...Object.entries(SECRETS), ["basicAuthorization", basic] as const]) {
      for (const [where, text] of Object.entries(texts)) if (text.includes(secret)) found.push(`${kind} in ${where}`);
    }
    expect(found).toEqual([]);
    expect(stack.fenced()).toEqual([]);
  });
});
