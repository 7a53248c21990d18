/** A wait for SIGINT/SIGTERM that can be abandoned. */
export interface SignalWait {
  /** Resolves with the first signal received. */
  received: Promise<NodeJS.Signals>;
  /** Removes the handlers. */
  dispose(): void;
}

/** Handles SIGINT and SIGTERM (instead of the default exit) until disposed; a second Ctrl-C still has a handler, so shutdown is never cut short. */
export function waitForSignal(signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM"]): SignalWait {
  let resolve!: (signal: NodeJS.Signals) => void;
  const received = new Promise<NodeJS.Signals>((r) => (resolve = r));
  const handler = (signal: NodeJS.Signals) => resolve(signal);
  for (const s of signals) process.on(s, handler);
  return {
    received,
    dispose: () => {
      for (const s of signals) process.off(s, handler);
    },
  };
}
