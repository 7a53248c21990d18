import type { ObjectStore } from "../../src/store/types";

/** One completed write the wrapped store made. */
export interface RecordedWrite {
  op: "put" | "putStream" | "putFile" | "moveFile" | "delete";
  key: string;
  /** The label current when the write completed (set by the test, e.g. a plan attempt). */
  label: string;
}

/** An ObjectStore that passes every call through and records each completed write with the test's current label. */
export function recordingStore(store: ObjectStore): { store: ObjectStore; writes: RecordedWrite[]; label(next: string): void } {
  const writes: RecordedWrite[] = [];
  let current = "";
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if ((prop === "put" || prop === "putStream" || prop === "putFile" || prop === "moveFile" || prop === "delete") && typeof value === "function") {
        return async (key: string, ...rest: unknown[]) => {
          const result = await (value as (...args: unknown[]) => Promise<unknown>).call(target, key, ...rest);
          writes.push({ op: prop, key, label: current });
          return result;
        };
      }
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: wrapped, writes, label: (next) => (current = next) };
}
