import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/connection";
import { runAhead } from "../../src/engine/pipeline";
import { EngineTask } from "../../src/engine/task";

const dir = mkdtempSync(join(tmpdir(), "tidemark-pipeline-"));
let engine: Engine;
beforeAll(async () => {
  engine = await Engine.open({ memoryLimit: "256MB", threads: 2, tempDirectory: join(dir, "tmp") });
});
afterAll(() => engine?.close());

describe("runAhead", () => {
  it("runs every item's statement before its ready() resolves; items without one are ready at once", async () => {
    const items = [1, 2, 3, 4, 5, 6];
    const seen = await EngineTask.run(engine, 2, async (task) => {
      await task.exec(`CREATE TABLE ${task.table("log")} (i INTEGER)`);
      const ahead = runAhead(task, items, async (i) => (i % 3 === 0 ? null : `INSERT INTO ${task.table("log")} VALUES (${i})`));
      const found: number[][] = [];
      for (const i of items) {
        await ahead.ready(i);
        found.push((await task.rows<{ i: number }>(`SELECT i FROM ${task.table("log")} WHERE i = ${i}`)).map((r) => r.i));
      }
      await ahead.stop();
      return found;
    });
    expect(seen).toEqual([[1], [2], [], [4], [5], []]);
  });

  it("a failing statement rejects its item and every item not yet run; stop() waits for the lanes", async () => {
    const items = ["ok-1", "bad", "ok-2", "ok-3", "ok-4"];
    const outcome = await EngineTask.run(engine, 1, async (task) => {
      const log = task.table("log");
      await task.exec(`CREATE TABLE ${log} (item VARCHAR)`);
      const ahead = runAhead(task, items, async (item) => (item === "bad" ? "SELECT * FROM no_such_table" : `INSERT INTO ${log} VALUES ('${item}')`));
      const settled = await Promise.allSettled(items.map((i) => ahead.ready(i)));
      await ahead.stop();
      const ran = (await task.rows<{ item: string }>(`SELECT item FROM ${log}`)).map((r) => r.item);
      return { ran, settled: settled.map((s) => s.status) };
    });
    expect(outcome.ran).toEqual(["ok-1"]);
    expect(outcome.settled).toEqual(["fulfilled", "rejected", "rejected", "rejected", "rejected"]);
  });

  it("neighbours that `together` allows share one call, never across groups: an item may wait for the group before its own", async () => {
    const items = [1, 2, 3, 4, 5, 6, 7];
    const group = (i: number) => Math.floor((i - 1) / 3);
    const outcome = await EngineTask.run(engine, 1, async (task) => {
      const log = task.table("log");
      await task.exec(`CREATE TABLE ${log} (i INTEGER)`);
      const ahead = runAhead(
        task,
        items,
        async (i) => {
          if (i > 3 && (i - 1) % 3 === 0) await Promise.all(items.filter((j) => group(j) === group(i) - 1).map((j) => ahead.ready(j)));
          return i === 5 ? "SELECT * FROM no_such_table" : `INSERT INTO ${log} VALUES (${i})`;
        },
        (a, b) => group(a) === group(b),
      );
      const settled = await Promise.allSettled(items.map((i) => ahead.ready(i)));
      await ahead.stop();
      const ran = (await task.rows<{ i: number }>(`SELECT i FROM ${log} ORDER BY i`)).map((r) => r.i);
      return { ran, settled: settled.map((s) => s.status) };
    });
    // Item 4's statement ran in the failing call with 5 (so it is rejected too); 6 shared that call and never ran.
    expect(outcome.ran).toEqual([1, 2, 3, 4]);
    expect(outcome.settled).toEqual(["fulfilled", "fulfilled", "fulfilled", "rejected", "rejected", "rejected", "rejected"]);
  });
});
