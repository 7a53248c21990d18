/**
 * The server's side of compaction (SPEC §11): when a push dataset's backlog is due, ask Temporal for
 * a compaction with signal-with-start on the dataset's one ingest workflow id. A running compaction
 * gets the `compact` signal and continues with another; otherwise a new one starts. Level-triggered:
 * a due backlog is re-signalled at most once per `minGapMs` while this server writes new fragments
 * or its last request failed, and at most once per `quietGapMs` otherwise (the backlog stays due
 * until the running compaction's CAS, so a request per second would only pile signals on it), so a
 * lost request or a failed compaction only delays.
 */
import type { Client } from "@temporalio/client";
import type { DatasetDefinition } from "../definition/schema.js";
import { ingestWorkflowId } from "../one-writer.js";
import { ingestRunSummary } from "../run-summary.js";
import type { Backlog } from "./backlog.js";
import { compactionDue, compactionPolicy } from "./compaction-plan.js";

/** What the trigger needs. */
export interface CompactionTriggerOptions {
  readonly temporal: () => Promise<Client>;
  readonly taskQueue: string;
  /** Least time between two requests for one dataset, in ms. */
  readonly minGapMs?: number;
  /** Least time between two requests for one dataset to which this server wrote no fragment since its last request was sent, in ms. */
  readonly quietGapMs?: number;
  /** Counts each request by outcome (`sent`, `failed`). */
  readonly onRequest?: (dataset: string, outcome: "sent" | "failed") => void;
}

/** Requests compactions of due push datasets. */
export class CompactionTrigger {
  private readonly last = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  /** Datasets this server wrote a fragment to, or whose request failed, since their last request was sent. */
  private readonly fresh = new Set<string>();

  constructor(private readonly opts: CompactionTriggerOptions) {}

  /** Notes that this server wrote a fragment of `dataset`. */
  written(dataset: string): void {
    this.fresh.add(dataset);
  }

  /** Requests a compaction of `def` when its backlog is due and none was requested within the gap. */
  poke(def: DatasetDefinition, backlog: Backlog, now = Date.now()): void {
    const id = def.id;
    const last = this.last.get(id);
    const gap = last === undefined || this.fresh.has(id) ? (this.opts.minGapMs ?? 1000) : (this.opts.quietGapMs ?? 10_000);
    if (this.inFlight.has(id) || now - (last ?? -Infinity) < gap) return;
    if (!compactionDue(backlog, compactionPolicy(def), now)) return;
    this.last.set(id, now);
    this.inFlight.add(id);
    this.fresh.delete(id);
    void this.request(id).finally(() => this.inFlight.delete(id));
  }

  /** Waits for requests in flight (shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await new Promise((r) => setTimeout(r, 20));
  }

  private async request(dataset: string): Promise<void> {
    try {
      const client = await this.opts.temporal();
      await client.workflow.signalWithStart("ingestDataset", {
        workflowId: ingestWorkflowId(dataset),
        taskQueue: this.opts.taskQueue,
        args: [{ dataset }],
        signal: "compact",
        signalArgs: [],
        staticSummary: ingestRunSummary(dataset, { trigger: "tidemark serve (compaction)" }),
      });
      this.opts.onRequest?.(dataset, "sent");
    } catch {
      this.fresh.add(dataset);
      this.opts.onRequest?.(dataset, "failed");
    }
  }
}
