/**
 * The search attributes Tidemark's workflows set, checked before a worker polls: on a namespace
 * without them every workflow task fails with "BadSearchAttributes" and the run hangs, retried
 * forever, with nothing but a warning in the worker's log.
 */
import type { Client } from "@temporalio/client";
import { temporal } from "@temporalio/proto";
import { TIDEMARK_SEARCH_ATTRIBUTES } from "../devstack/temporal-server.js";
import { TidemarkError } from "../errors.js";

/** The namespace lacks a search attribute Tidemark's workflows set (or has it with another type). */
export class MissingSearchAttributesError extends TidemarkError {}

const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;

/** Names of {@link TIDEMARK_SEARCH_ATTRIBUTES} that `registered` (name → indexed value type) lacks or types otherwise. Pure. */
export function missingSearchAttributes(registered: Readonly<Record<string, number | string | null | undefined>>): string[] {
  return Object.keys(TIDEMARK_SEARCH_ATTRIBUTES).filter((name) => {
    const type = registered[name];
    return type !== KEYWORD && type !== "INDEXED_VALUE_TYPE_KEYWORD";
  });
}

/** The one-sentence error for `missing` on `namespace` at `address`. Pure. */
export function missingSearchAttributesMessage(missing: readonly string[], namespace: string, address: string): string {
  const create = missing.map((name) => `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type Keyword`).join(" && ");
  return `Namespace ${namespace} at ${address} lacks the Keyword search attribute${missing.length > 1 ? "s" : ""} ${missing.join(", ")} that Tidemark's workflows set (without ${missing.length > 1 ? "them" : "it"} every run hangs); create ${missing.length > 1 ? "them" : "it"} with "${create}" (tidemark dev and docker-compose.yml do), then start the worker again.`;
}

/**
 * Throws {@link MissingSearchAttributesError} when the namespace lacks one of Tidemark's search
 * attributes. A server that does not let this client list them (a permission, an older server) is
 * not judged: `onUnknown` hears why and the worker starts.
 */
export async function requireSearchAttributes(client: Client, namespace: string, address: string, onUnknown: (why: string) => void): Promise<void> {
  let registered: Record<string, number | string | null | undefined>;
  try {
    const res = await client.connection.operatorService.listSearchAttributes({ namespace });
    registered = { ...(res.systemAttributes ?? {}), ...(res.customAttributes ?? {}) } as Record<string, number | null | undefined>;
  } catch (err) {
    onUnknown((err as Error).message);
    return;
  }
  const missing = missingSearchAttributes(registered);
  if (missing.length > 0) throw new MissingSearchAttributesError(missingSearchAttributesMessage(missing, namespace, address));
}
