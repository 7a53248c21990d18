import type { Client } from "@temporalio/client";
import { describe, expect, it } from "vitest";
import { CompactionTrigger } from "../../src/intake/compaction-trigger";
import { pushDefinition } from "../support/push-definition";

const def = pushDefinition();
/** A backlog due by size (64 MiB, over the default compact_bytes) whatever the clock says. */
const due = { fragments: 10, bytes: 64 << 20, oldest: new Date(0) };

/** A trigger whose Temporal client records every request at the time it was asked, failing those `fail` says to. */
function trigger(fail: (n: number) => boolean = () => false) {
  const sent: number[] = [];
  let now = 0;
  const client = {
    workflow: {
      signalWithStart: async () => {
        sent.push(now);
        if (fail(sent.length)) throw new Error("Temporal is unreachable");
      },
    },
  } as unknown as Client;
  const t = new CompactionTrigger({ temporal: async () => client, taskQueue: "q" });
  const poke = async (at: number) => {
    now = at;
    t.poke(def, due, at);
    await t.drain();
  };
  return { t, sent, poke };
}

describe("CompactionTrigger", () => {
  it("asks again every second while this server writes fragments, and every ten seconds while it writes none", async () => {
    const { t, sent, poke } = trigger();
    for (let at = 0; at <= 12_000; at += 500) await poke(at);
    expect(sent).toEqual([0, 10_000]);
    t.written("clicks");
    await poke(12_500);
    await poke(13_000);
    t.written("clicks");
    await poke(13_500);
    expect(sent).toEqual([0, 10_000, 12_500, 13_500]);
  });

  it("asks again after one second when its last request failed", async () => {
    const { sent, poke } = trigger((n) => n === 1);
    for (let at = 0; at <= 3_000; at += 500) await poke(at);
    expect(sent).toEqual([0, 1_000]);
  });

  it("does not ask while the backlog is not due", async () => {
    const { t, sent } = trigger();
    t.written("clicks");
    t.poke(def, { fragments: 1, bytes: 10, oldest: new Date(1_000) }, 1_500);
    await t.drain();
    expect(sent).toEqual([]);
  });
});
