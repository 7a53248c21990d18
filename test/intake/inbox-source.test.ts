import { describe, expect, it } from "vitest";
import { openInboxSource } from "../../src/intake/inbox-source";
import type { ObjectStore } from "../../src/store/types";

const ids = ["20260101T000000000Z-000000-aaaaaaaaaaaa", "20260101T000000001Z-000000-bbbbbbbbbbbb", "20260101T000000002Z-000000-cccccccccccc"];

/** An inbox of three fragments: the first answers after `slowMs`, the second's read fails at once; every read is recorded. */
function inbox(slowMs: number) {
  const reads: string[] = [];
  const store = {
    url: "mem://test",
    async *list(prefix: string) {
      for (const id of ids) yield { key: prefix + id, size: 11, etag: "e", lastModified: new Date() };
    },
    get(key: string) {
      reads.push(key.slice(key.lastIndexOf("/") + 1));
      if (key.endsWith(ids[1])) return Promise.reject(new Error("503 SlowDown reading the second fragment"));
      const body = Buffer.from(`{"id":"${key.slice(-1)}"}\n`);
      return new Promise((resolve) => setTimeout(() => resolve({ body, etag: "e", size: body.length }), slowMs));
    },
  } as unknown as ObjectStore;
  return { store, reads };
}

describe("openInboxSource", () => {
  it("fails the stream with a read-ahead fragment's error at its turn, without an unhandled rejection meanwhile", async () => {
    const { store, reads } = inbox(200);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const opened = await openInboxSource(store, "ds", []);
      const chunks: string[] = [];
      const failure = await (async () => {
        try {
          for await (const chunk of opened.stream) chunks.push(String(chunk));
        } catch (err) {
          return err as Error;
        }
      })();
      expect(reads.slice(0, 2)).toEqual([ids[0], ids[1]]);
      expect(chunks.join("")).toBe('{"id":"a"}\n');
      expect(failure?.message).toBe("503 SlowDown reading the second fragment");
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("leaves no unhandled rejection when the reader stops before a failed read's turn", async () => {
    const { store } = inbox(100);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const opened = await openInboxSource(store, "ds", []);
      opened.stream.destroy();
      await new Promise((r) => setTimeout(r, 200));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
