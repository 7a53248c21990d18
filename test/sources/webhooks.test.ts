import { describe, expect, it } from "vitest";
import { MissingEnvReferenceError } from "../../src/config/env-refs";
import { parseDefinition, validateDefinitionObject } from "../../src/definition";
import { seriesDefinitionYaml } from "../support/definitions";
import type { HostResolver } from "../../src/sources/address";
import { WebhookNotAllowedError } from "../../src/sources/errors";
import { checkWebhooks, checkWebhookUrl, postToWebhook } from "../../src/sources/webhooks";
import { startHttpServer } from "../support/http";

const resolver: HostResolver = async (host) => [{ address: host === "hooks.test" ? "93.184.216.34" : "169.254.169.254", family: 4 }];

function definition(notify: unknown[]) {
  const base = parseDefinition(seriesDefinitionYaml({ id: "hooks", uri: "file:///x.csv", mode: "snapshot" }), "hooks.yaml");
  return validateDefinitionObject({ ...base, notify }, "hooks test");
}

async function refusal(p: Promise<unknown>): Promise<Error> {
  return p.then(() => new Error("not refused"), (e: unknown) => e as Error);
}

describe("webhooks", () => {
  it("must be https to a public address by default", async () => {
    expect(await checkWebhookUrl("https://hooks.test/x", null, resolver)).toEqual({ address: "93.184.216.34", family: 4 });
    const plain = await refusal(checkWebhookUrl("http://hooks.test/x?token=abc", null, resolver));
    expect(plain).toBeInstanceOf(WebhookNotAllowedError);
    expect(plain.message).toBe("Webhook http://hooks.test/x?token=redacted is not allowed: webhooks must use https:// unless TIDEMARK_WEBHOOK_ALLOW lists them; use an https URL or list it in TIDEMARK_WEBHOOK_ALLOW on the worker.");
    const metadata = await refusal(checkWebhookUrl("https://metadata.test/hook", null, resolver));
    expect(metadata.message).toBe(
      "Webhook https://metadata.test/hook is not allowed: its host resolves to 169.254.169.254, a cloud metadata address, and by default only public addresses may be reached; list it in TIDEMARK_WEBHOOK_ALLOW (comma-separated URI prefixes) on the worker to allow it.",
    );
    expect(await refusal(checkWebhookUrl("https://10.0.0.8/hook", null, resolver))).toBeInstanceOf(WebhookNotAllowedError);
  });

  it("may be widened with TIDEMARK_WEBHOOK_ALLOW", async () => {
    expect(await checkWebhookUrl("http://127.0.0.1:9/hook", ["http://127.0.0.1"], resolver)).toEqual({ address: "127.0.0.1", family: 4 });
    expect(await refusal(checkWebhookUrl("https://hooks.test/x", ["http://127.0.0.1"], resolver))).toBeInstanceOf(WebhookNotAllowedError);
  });

  it("are posted to the checked address, not to a second DNS answer", async () => {
    const server = await startHttpServer((req, res) => void res.writeHead(204).end());
    try {
      const port = new URL(server.url).port;
      const url = `http://hooks.invalid:${port}/published`;
      const status = await postToWebhook(url, { address: "127.0.0.1", family: 4 }, { "content-type": "application/json" }, '{"v":1}', 5_000);
      expect(status).toBe(204);
      expect(server.received.map((r) => [r.method, r.url, r.headers.host, r.body])).toEqual([["POST", "/published", `hooks.invalid:${port}`, '{"v":1}']]);
    } finally {
      await server.close();
    }
  });

  it("fail when the definition is loaded if a header references an unset variable", async () => {
    const def = definition([{ url: "https://hooks.test/x", headers: { Authorization: "Bearer ${TM_HOOK_TOKEN_UNSET}" } }]);
    const err = await refusal(checkWebhooks(def, {}, resolver));
    expect(err).toBeInstanceOf(MissingEnvReferenceError);
    expect(err.message).toBe(
      "Webhook https://hooks.test/x of hooks has header Authorization referencing ${TM_HOOK_TOKEN_UNSET}, which is not set in the worker's environment; set TM_HOOK_TOKEN_UNSET where the worker runs.",
    );
    await expect(checkWebhooks(def, { TM_HOOK_TOKEN_UNSET: "t0k3n-value" }, resolver)).resolves.toBeUndefined();
  });
});
