import { expandEnvReferences } from "../src/config/env-refs";
import type { ChangeCounts } from "../src/contracts";
import type { DatasetDefinition } from "../src/definition";
import { TidemarkError } from "../src/errors";
import { redact } from "../src/observability/redact";
import { systemResolver } from "../src/sources/address";
import { redactUri } from "../src/sources/open";
import { checkWebhookUrl, postToWebhook, webhookAllowFromEnv } from "../src/sources/webhooks";
import type { ActivityDeps } from "./deps";

/** A webhook did not accept the notification; retried within the notify budget. */
export class NotifyFailedError extends TidemarkError {
  override readonly retryable = true;
}

function expandHeaders(url: string, headers: Record<string, string> | undefined, env: NodeJS.ProcessEnv): Record<string, string> {
  const where = `Webhook ${redactUri(url)}`;
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, expandEnvReferences(value, env, { required: true, where: `${where} header ${name}` })]));
}

/** Step 7: tells each configured webhook about a published version, with a stable idempotency key. */
export function notifyActivities(deps: ActivityDeps) {
  return {
    async notify(input: { dataset: string; version: string; parentVersion: string | null; counts: ChangeCounts; definition: DatasetDefinition }): Promise<number> {
      const body = JSON.stringify({ dataset_id: input.dataset, version: input.version, parent_version: input.parentVersion, counts: input.counts });
      const env = deps.env ?? process.env;
      const allow = webhookAllowFromEnv(env);
      let sent = 0;
      for (const hook of input.definition.notify ?? []) {
        const target = await checkWebhookUrl(hook.url, allow, deps.sources?.resolve ?? systemResolver);
        const headers = { "content-type": "application/json", "idempotency-key": `${input.dataset}/${input.version}`, ...expandHeaders(hook.url, hook.headers, env) };
        const timeoutMs = hook.timeout_ms ?? 10_000;
        let status: number;
        try {
          status = deps.fetch
            ? (await deps.fetch(hook.url, { method: "POST", headers, body, signal: AbortSignal.timeout(timeoutMs), redirect: "manual" })).status
            : await postToWebhook(hook.url, target, headers, body, timeoutMs);
        } catch (err) {
          deps.metrics?.notifyFailures.inc({ dataset: input.dataset });
          throw new NotifyFailedError(`Webhook ${redactUri(hook.url)} could not be reached (${redact((err as Error).message)}); it will be retried.`);
        }
        if (status < 200 || status >= 300) {
          deps.metrics?.notifyFailures.inc({ dataset: input.dataset });
          throw new NotifyFailedError(`Webhook ${redactUri(hook.url)} answered HTTP ${status}; it will be retried.`);
        }
        sent++;
      }
      return sent;
    },
  };
}
