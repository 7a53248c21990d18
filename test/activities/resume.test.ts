import { MockActivityEnvironment } from "@temporalio/testing";
import { describe, expect, it } from "vitest";
import { RESUME_BEAT_MS, resumable, type ResumeDetails } from "../../activities/heartbeat";

describe("resumable", () => {
  it("heartbeats finished items' results, at most every RESUME_BEAT_MS, the last state always; results in item order", async () => {
    const env = new MockActivityEnvironment();
    const beats: { at: number; details: ResumeDetails<string> }[] = [];
    env.on("heartbeat", (d: ResumeDetails<string>) => beats.push({ at: Date.now(), details: structuredClone(d) }));
    const items = ["a", "b", "c", "d", "e", "f"];
    const out = await env.run(() => resumable(items, (x) => x, 1, async (x) => (await new Promise((r) => setTimeout(r, 60)), x.toUpperCase())));
    expect(out).toEqual({ results: ["A", "B", "C", "D", "E", "F"], skipped: 0 });
    for (let i = 1; i < beats.length - 1; i++) expect(beats[i].at - beats[i - 1].at).toBeGreaterThanOrEqual(RESUME_BEAT_MS - 5);
    expect(beats.at(-1)!.details).toEqual({ done: { a: "A", b: "B", c: "C", d: "D", e: "E", f: "F" }, progress: "6/6" });
  });

  it("a throttled item still reaches the server by a trailing heartbeat while the next item runs", async () => {
    const env = new MockActivityEnvironment();
    const beats: ResumeDetails<string>[] = [];
    env.on("heartbeat", (d: ResumeDetails<string>) => beats.push(structuredClone(d)));
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    const run = env.run(() => resumable(["a", "b", "c"], (x) => x, 1, async (x) => (x === "c" ? await stuck : undefined, x.toUpperCase())));
    await new Promise((r) => setTimeout(r, RESUME_BEAT_MS * 2));
    expect(beats.at(-1)).toEqual({ done: { a: "A", b: "B" }, progress: "2/3" });
    release();
    await run;
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
