/** A fault the simulator applies to one charge request. */
export type ChargeFault = "error_500" | "decline" | "timeout_after_charge";

/** Switchable faults of the gateway simulator (`POST /admin/faults`, merged into the current ones). */
export interface SimulatorFaults {
  /** Delay before every `/v1` request is handled, in ms. */
  latency_ms: number;
  /** Fraction (0..1) of new charges answered 500 (the intent is recorded as failed and the 500 stored). */
  error_rate: number;
  /** Fraction of new charges declined (402 card_declined). */
  decline_rate: number;
  /** Fraction of new charges applied, then left unanswered until the client gives up. */
  timeout_rate: number;
  /** Faults for given idempotency keys, applied to the first request of that key. */
  keys: Record<string, ChargeFault>;
  /** While true, every `/v1` request except the charge listing is answered 503 and nothing is recorded. */
  outage: boolean;
  /** An outage window ending at this epoch ms (set through `outage_ms`, the window's length from now). */
  outage_until: number;
  /** How long an unanswered (timeout) request is held open at most, in ms. */
  hang_ms: number;
}

/** Faults off. */
export function noFaults(): SimulatorFaults {
  return { latency_ms: 0, error_rate: 0, decline_rate: 0, timeout_rate: 0, keys: {}, outage: false, outage_until: 0, hang_ms: 60_000 };
}

const RATES = ["error_rate", "decline_rate", "timeout_rate"] as const;
const FAULTS: ChargeFault[] = ["error_500", "decline", "timeout_after_charge"];

/** Merges a fault update (as posted) into `current`; returns the new faults or a description of what is wrong. */
export function mergeFaults(current: SimulatorFaults, update: unknown, now: number): SimulatorFaults | string {
  if (typeof update !== "object" || update === null) return "the body must be a JSON object";
  const u = update as Record<string, unknown>;
  const next: SimulatorFaults = { ...current, keys: { ...current.keys } };
  for (const [name, value] of Object.entries(u)) {
    if ((RATES as readonly string[]).includes(name)) {
      if (typeof value !== "number" || !(value >= 0 && value <= 1)) return `${name} must be a number from 0 to 1`;
      next[name as (typeof RATES)[number]] = value;
    } else if (name === "latency_ms" || name === "hang_ms") {
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 600_000) return `${name} must be a whole number of ms up to 600000`;
      next[name] = value;
    } else if (name === "outage") {
      if (typeof value !== "boolean") return "outage must be true or false";
      next.outage = value;
      if (!value) next.outage_until = 0;
    } else if (name === "outage_ms") {
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0) return "outage_ms must be a whole number of ms";
      next.outage_until = now + value;
    } else if (name === "keys") {
      if (typeof value !== "object" || value === null) return "keys must map idempotency keys to a fault";
      for (const [key, fault] of Object.entries(value)) {
        if (fault === null) delete next.keys[key];
        else if (FAULTS.includes(fault as ChargeFault)) next.keys[key] = fault as ChargeFault;
        else return `keys.${key} must be one of ${FAULTS.join(", ")} (or null to clear it)`;
      }
    } else {
      return `unknown fault "${name}"; known: ${[...RATES, "latency_ms", "hang_ms", "outage", "outage_ms", "keys"].join(", ")}`;
    }
  }
  return next;
}

/** The fault for a new charge: its key's, else one drawn from the rates with `draw()` in [0, 1). */
export function pickFault(faults: SimulatorFaults, key: string | undefined, draw: () => number): ChargeFault | null {
  if (key !== undefined && faults.keys[key]) return faults.keys[key];
  let x = draw();
  for (const [rate, fault] of [[faults.error_rate, "error_500"], [faults.timeout_rate, "timeout_after_charge"], [faults.decline_rate, "decline"]] as const) {
    if (x < rate) return fault;
    x -= rate;
  }
  return null;
}
