/** Prometheus metrics of the intake server (SPEC §11 Operations), in a registry of their own. */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Metrics of one `tidemark serve` process. */
export class IntakeMetrics {
  readonly registry = new Registry();
  /** Records acknowledged (in a durable fragment), by dataset. */
  readonly recordsAccepted: Counter<"dataset">;
  /** Requests refused, by `reason` (bad_record, bad_body, unauthorized, forbidden, not_found, too_large, unsupported_media_type, rate_limited, backlog_full, store_unavailable, ...). */
  readonly rejected: Counter<"reason">;
  /** Request latency in seconds, by route and status. */
  readonly latency: Histogram<"route" | "status">;
  /** Records per written fragment. */
  readonly groupRecords: Histogram<"dataset">;
  /** Requests per written fragment. */
  readonly groupRequests: Histogram<"dataset">;
  /** Records validated and waiting for their group's fragment. */
  readonly pendingRecords: Gauge<"dataset">;
  /** Inbox backlog: bytes, fragments and age of the oldest fragment, per dataset. */
  readonly backlogBytes: Gauge<"dataset">;
  readonly backlogFragments: Gauge<"dataset">;
  readonly backlogOldestAge: Gauge<"dataset">;
  /** Compactions requested from Temporal (signal-with-start), by dataset and outcome (`sent`, `failed`). */
  readonly compactionRequests: Counter<"dataset" | "outcome">;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.recordsAccepted = new Counter({ name: "tidemark_intake_records_accepted_total", help: "Records acknowledged in a durable fragment", labelNames: ["dataset"], registers });
    this.rejected = new Counter({ name: "tidemark_intake_requests_rejected_total", help: "Requests refused, by reason", labelNames: ["reason"], registers });
    this.latency = new Histogram({
      name: "tidemark_intake_request_duration_seconds", help: "Request latency", labelNames: ["route", "status"], registers,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    const sizes = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000, 20000, 100000];
    this.groupRecords = new Histogram({ name: "tidemark_intake_group_records", help: "Records per fragment", labelNames: ["dataset"], buckets: sizes, registers });
    this.groupRequests = new Histogram({ name: "tidemark_intake_group_requests", help: "Requests per fragment", labelNames: ["dataset"], buckets: sizes, registers });
    this.pendingRecords = new Gauge({ name: "tidemark_intake_pending_records", help: "Validated records waiting for their fragment", labelNames: ["dataset"], registers });
    this.backlogBytes = new Gauge({ name: "tidemark_intake_backlog_bytes", help: "Bytes of inbox fragments not yet compacted", labelNames: ["dataset"], registers });
    this.backlogFragments = new Gauge({ name: "tidemark_intake_backlog_fragments", help: "Inbox fragments not yet compacted", labelNames: ["dataset"], registers });
    this.backlogOldestAge = new Gauge({ name: "tidemark_intake_backlog_oldest_age_seconds", help: "Age of the oldest inbox fragment", labelNames: ["dataset"], registers });
    this.compactionRequests = new Counter({ name: "tidemark_intake_compaction_requests_total", help: "Compactions requested from Temporal, by outcome", labelNames: ["dataset", "outcome"], registers });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: "tidemark_intake_" });
  }
}
