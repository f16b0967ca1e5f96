// The app's start: upgrade the browser's database to the schema this build was made with,
// then use it. `mizzle` is the bundle folder installed as a package (npm install ./public/mizzle).
import { bundledHead, loadMizzle, MizzleError, type UpgradeResult } from "mizzle";

const DATABASE = "/data/notes.db"; // a file in Pyodide's file system, kept in IndexedDB

function show(id: string, text: string): void {
  document.getElementById(id)!.textContent = text;
}

function log(line: string): void {
  const item = document.createElement("li");
  item.textContent = line;
  document.getElementById("log")!.append(item);
}

async function start(): Promise<UpgradeResult> {
  // The bundle's files are served from public/mizzle/ (copied to dist/mizzle/ by `vite build`);
  // Pyodide from its pyodide/ folder. A head.json older than this build (bundledHead) is refused.
  const mz = await loadMizzle({ bundleURL: new URL("mizzle/", document.baseURI).href });
  const result = await mz.upgrade(DATABASE, { onProgress: (name, ms) => log(`applied ${name} (${ms} ms)`) });
  show("status", `at ${result.to} (built for ${bundledHead})`);
  return result;
}

declare global {
  interface Window {
    appReady: Promise<UpgradeResult>;
  }
}

window.appReady = start().catch((err: unknown) => {
  show("status", err instanceof MizzleError ? err.message : String(err));
  throw err;
});
