import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { paymentActivities } from "../../activities/payments";
import { LedgerStore } from "../../src/ledger/store";
import { FsObjectStore } from "../../src/store/fs";

const dir = mkdtempSync(join(tmpdir(), "tidemark-verify-charges-"));
const store = new FsObjectStore(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A port on 127.0.0.1 that nothing listens on any more. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("checkLedgerConsistency", () => {
  it("says why the gateway's charges were not checked: the listing failed, or the gateway cannot list them", async () => {
    const ledger = new LedgerStore(store, "notes");
    await ledger.createWallet("w", "EUR");
    const port = await closedPort();
    const down = await paymentActivities({ store, datasetsDir: dir, env: { TIDEMARK_GATEWAY_URL: `http://127.0.0.1:${port}` } }).checkLedgerConsistency({ ledger: "notes" });
    expect(down).toMatchObject({ chargesChecked: false, chargesNotChecked: expect.stringMatching(new RegExp(`^listing the gateway's charges at http://127\\.0\\.0\\.1:${port}/v1/charges failed: `)) });
    const stripe = await paymentActivities({ store, datasetsDir: dir, env: { STRIPE_API_KEY: "sk_test_x" } }).checkLedgerConsistency({ ledger: "notes" });
    expect(stripe).toMatchObject({ chargesChecked: false, chargesNotChecked: "the gateway (Stripe) cannot list its charges" });
  });
});
