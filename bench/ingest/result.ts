/** A scenario's baseline, measured in the same run. */
export interface Baseline {
  name: string;
  /** Median ms. */
  ms: number;
  runs: number[];
}

/** One row of the results table. */
export interface ScenarioResult {
  id: string;
  title: string;
  /** Tidemark's median ms (P5, P6: the overhead, see `details`). */
  ms: number;
  runs: number[];
  baseline?: Baseline;
  /** ms / baseline.ms. */
  ratio?: number | null;
  goal: string;
  met: boolean | null;
  /** Peak RSS of the worker process over the scenario's measured runs, MB. */
  peakRssMb?: number;
  /** Scenario-specific components (medians, ms unless named otherwise). */
  details?: Record<string, unknown>;
  /** When it finished (results of `--append` runs come from different invocations). */
  measuredAt?: string;
  /** Median 1-minute load average while it ran. */
  loadAverage?: number;
  /** Why the scenario did not finish. */
  error?: string;
}
