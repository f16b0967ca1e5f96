// Syncing the app's database with a mizzle sync server (docs/sync.md, *The browser client*):
// push what was written offline, pull everyone's changes, show conflicts. Not started by
// main.ts (the example has no server); it shows the calls, and tsc checks them.
import { SyncError, type Mizzle, type SyncResult } from "mizzle";

export async function syncNow(mz: Mizzle, database: string, url: string, token: () => Promise<string>): Promise<SyncResult | null> {
  mz.addEventListener("conflict", (event) => console.warn("not applied", (event as CustomEvent).detail));
  try {
    return await mz.sync(database, { url, token, device: "browser-1", onConflict: (c) => console.warn(c.table, c.reason) });
  } catch (err) {
    if (err instanceof SyncError && err.code === "upgrade_required") {
      await mz.upgrade(database); // a newer app is deployed: upgrade in place, the outbox kept
      return mz.sync(database, { url, token });
    }
    if (err instanceof SyncError && err.retryable) return null; // offline: try again later
    throw err;
  }
}

export function syncInBackground(mz: Mizzle, database: string, url: string, token: string): () => Promise<void> {
  const running = mz.syncEvery(database, { url, token, interval: 60_000 });
  return running.stop;
}
