import { MockActivityEnvironment } from "@temporalio/testing";
import { describe, expect, it } from "vitest";
import { resumable, type ResumeDetails } from "../../activities/heartbeat";

describe("resumable", () => {
  it("heartbeats each finished item's result and returns results in item order", async () => {
    const env = new MockActivityEnvironment();
    const beats: ResumeDetails<string>[] = [];
    env.on("heartbeat", (d: ResumeDetails<string>) => beats.push(structuredClone(d)));
    const out = await env.run(() => resumable(["a", "b", "c"], (x) => x, 2, async (x) => x.toUpperCase()));
    expect(out).toEqual({ results: ["A", "B", "C"], skipped: 0 });
    expect(beats).toHaveLength(3);
    expect(beats[2]).toEqual({ done: { a: "A", b: "B", c: "C" }, progress: "3/3" });
  });

  it("a retry skips the items the previous attempt's heartbeat lists and uses their results", async () => {
    const previous: ResumeDetails<string> = { done: { a: "A*", c: "C*", gone: "X" }, progress: "3/4" };
    const env = new MockActivityEnvironment({ heartbeatDetails: previous });
    const worked: string[] = [];
    const out = await env.run(() => resumable(["a", "b", "c", "d"], (x) => x, 1, async (x) => (worked.push(x), x.toUpperCase())));
    expect(worked).toEqual(["b", "d"]);
    expect(out).toEqual({ results: ["A*", "B", "C*", "D"], skipped: 2 });
  });

  it("outside an activity it simply runs every item", async () => {
    expect(await resumable([1, 2], String, 4, async (n) => n * 2)).toEqual({ results: [2, 4], skipped: 0 });
  });
});
