import { expandEnvReferences } from "../src/config/env-refs";
import type { ChangeCounts } from "../src/contracts";
import type { DatasetDefinition } from "../src/definition";
import { TidemarkError } from "../src/errors";
import { redactUri } from "../src/sources/open";
import type { ActivityDeps } from "./deps";

/** A webhook did not accept the notification; retried within the notify budget. */
export class NotifyFailedError extends TidemarkError {
  override readonly retryable = true;
}

function expandHeaders(headers: Record<string, string> | undefined, env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, expandEnvReferences(value, env)]));
}

/** Step 7: tells each configured webhook about a published version, with a stable idempotency key. */
export function notifyActivities(deps: ActivityDeps) {
  return {
    async notify(input: { dataset: string; version: string; parentVersion: string | null; counts: ChangeCounts; definition: DatasetDefinition }): Promise<number> {
      const doFetch = deps.fetch ?? fetch;
      const body = JSON.stringify({ dataset_id: input.dataset, version: input.version, parent_version: input.parentVersion, counts: input.counts });
      let sent = 0;
      for (const hook of input.definition.notify ?? []) {
        let res: Response;
        try {
          res = await doFetch(hook.url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "idempotency-key": `${input.dataset}/${input.version}`,
              ...expandHeaders(hook.headers, deps.env ?? process.env),
            },
            body,
            signal: AbortSignal.timeout(hook.timeout_ms ?? 10_000),
          });
        } catch (err) {
          deps.metrics?.notifyFailures.inc({ dataset: input.dataset });
          throw new NotifyFailedError(`Webhook ${redactUri(hook.url)} could not be reached (${(err as Error).message}); it will be retried.`);
        }
        if (!res.ok) {
          deps.metrics?.notifyFailures.inc({ dataset: input.dataset });
          throw new NotifyFailedError(`Webhook ${redactUri(hook.url)} answered HTTP ${res.status}; it will be retried.`);
        }
        sent++;
      }
      return sent;
    },
  };
}
