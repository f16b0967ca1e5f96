// mizzle.js: upgrade a browser's SQLite database in place with mizzle's migrator in Pyodide.
//
//   import { loadMizzle } from "mizzle";          // npm install ./public/mizzle (or "/mizzle/mizzle.js")
//   const mz = await loadMizzle({ bundleURL: "/mizzle/" });   // Pyodide from /mizzle/pyodide/
//   await mz.upgrade("/data/app.db");             // a file in Pyodide's FS, kept in IndexedDB
//   await mz.upgrade({ path: "/opfs/app.db", storage: "opfs" });
//   await mz.upgrade(sqlJsDatabase, { persist: (bytes) => store.save(bytes) });
//   await mz.upgrade(sqliteWasmOo1Db);
//   const { image } = await mz.upgradeImage({ load, save, open });   // sql.js bytes kept in IndexedDB
//   await mz.status(db);  await mz.check(db);
//
// Everything runs offline: Pyodide comes from `indexURL` (the `pyodide` npm package, served by
// the app), the migrator and the migrations from `bundleURL` (what `mizzle bundle` wrote).
// Pyodide starts only when something is pending (a current database the app owns is answered
// from JavaScript), and in a Web Worker running this file unless `worker: false`.
// Upgrades are atomic (all pending migrations and their tracking rows commit together, or
// nothing changes) and serialised across tabs with the Web Locks API. See docs/browser.md.

export class MizzleError extends Error {
  constructor(message) {
    super(message);
    this.name = "MizzleError";
  }
}

const LOCK_PREFIX = "mizzle:";

/**
 * The head of the migrations this copy of mizzle.js was bundled with (`mizzle bundle` writes it
 * on the next line). An app that builds mizzle.js into its own code carries it, and `loadMizzle`
 * refuses a manifest that does not reach it: a stale manifest.json from a cache, not this deploy's.
 */
export const bundledHead = null; // written by `mizzle bundle`

function absolute(url, base) {
  return new URL(url, base).href;
}

async function fetchOk(url, init) {
  const response = await fetch(url, init);
  if (!response.ok) throw new MizzleError(`cannot load ${url}: HTTP ${response.status}`);
  return response;
}

async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Fetch a wheel of the bundle, check it against wheels.json, unpack it into site-packages. */
async function installWheel(pyodide, bundleURL, wheel) {
  // `url`: wheels/<sha256 prefix>/<file>, named by its content (bundles before that: wheels/<file>)
  const buffer = await (await fetchOk(absolute(wheel.url ?? `wheels/${wheel.file}`, bundleURL))).arrayBuffer();
  const sum = await sha256Hex(buffer);
  if (sum !== wheel.sha256) throw new MizzleError(`the bundle is damaged: ${wheel.file} does not match its checksum`);
  pyodide.unpackArchive(buffer, "wheel");
}

/**
 * Read the bundle's head file (`head.json`: a few kB, the migrations' names and checksums) and
 * return `mz`. Pyodide is not started here, and the manifest (every migration's SQL) is not
 * fetched: a database that is already at the head is answered from JavaScript; Pyodide starts
 * (in a Web Worker unless `worker: false`, or on this thread with the `pyodide` given) the first
 * time something needs it, and fetches the manifest then, checked against the head file's sha256.
 * `indexURL` defaults to the bundle's `pyodide/` folder (where `mizzle bundle --pyodide` puts it);
 * `workerURL` to the bundle's `mizzle.js` (this file, also when a build tool inlined it elsewhere).
 * `expectHead` (default: `bundledHead`, the head this mizzle.js was bundled with): refuse a
 * bundle whose migrations do not include it, i.e. one older than the app's code.
 * @param {{indexURL?: string, bundleURL?: string, pyodide?: object, worker?: boolean, workerURL?: string,
 *          expectHead?: string | null}} options
 */
export async function loadMizzle({ indexURL, bundleURL, pyodide, worker, workerURL, expectHead = bundledHead } = {}) {
  const bundle = absolute(bundleURL ?? "./", globalThis.location?.href);
  const index = absolute(indexURL ?? "pyodide/", bundle);
  const started = performance.now();
  const headURL = absolute("head.json", bundle);
  const head = await fetchOk(headURL, ENTRY).then((r) => r.json());
  if (expectHead && !head.migrations.some((m) => m.name === expectHead)) {
    throw new MizzleError(
      `the bundle's head file (${headURL}) is older than the app: its head is ${head.head ?? "none"}, ` +
        `the app expects ${expectHead} (a stale copy from a cache? serve head.json with Cache-Control: no-cache)`,
    );
  }
  const setup = { indexURL: index, bundleURL: bundle, manifest: head.manifest };
  const inWorker = (worker ?? !pyodide) && typeof Worker === "function";
  const python = inWorker
    ? new WorkerPython(setup, workerURL ? absolute(workerURL, globalThis.location?.href) : absolute("mizzle.js", bundle))
    : new LocalPython({ ...setup, pyodide });
  return new Mizzle(python, setup, head, { headLoadMs: performance.now() - started });
}

// The entry files change with every deploy: revalidate them whatever the cache headers say
// (a heuristically cached manifest.json once hid a deploy). Wheels are content-addressed.
const ENTRY = { cache: "no-cache" };

/**
 * The bundle's manifest and wheel list, fetched when Python starts: the manifest must be the one
 * the head file was written with (its sha256), or the app would check one deploy and run another.
 */
async function fetchBundle(bundleURL, manifest) {
  const manifestURL = absolute(manifest.url, bundleURL);
  const [buffer, wheels] = await Promise.all([
    fetchOk(manifestURL, ENTRY).then((r) => r.arrayBuffer()),
    fetchOk(absolute("wheels.json", bundleURL), ENTRY).then((r) => r.json()),
  ]);
  if ((await sha256Hex(buffer)) !== manifest.sha256) {
    throw new MizzleError(
      `the bundle's ${manifestURL} is not the one its head.json names (a stale copy from a cache, or a deploy ` +
        "half done? serve head.json, manifest.json and wheels.json with Cache-Control: no-cache)",
    );
  }
  return { manifestText: new TextDecoder().decode(buffer), wheels };
}

function pythonMessage(err) {
  // A PythonError's message is a traceback: its last line is the exception.
  const lines = String(err.message ?? err).trim().split("\n");
  return lines[lines.length - 1].replace(/^[\w.]*Error: /, "");
}

// --- values between JS and the sync client's Python (mizzle/wasm/handle_conn.py) ------------------
// JSON cannot carry an integer beyond 2^53 as a JS number, a blob, or a non-finite float:
// those travel tagged, so the sync client reads and writes every value exactly.

function base64Of(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function bytesOf(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function tagged(value) {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : { $i: value.toString() };
  if (typeof value === "number" && !Number.isFinite(value)) return { $f: String(value) };
  if (value instanceof Uint8Array) return { $b: base64Of(value) };
  return value;
}

function untagged(value) {
  if (value && typeof value === "object") {
    if ("$i" in value) return BigInt(value.$i);
    if ("$b" in value) return bytesOf(value.$b);
    if ("$f" in value) return Number(value.$f);
  }
  return value;
}

/** sql.js Database or sqlite-wasm oo1.DB → the bridge mizzle's Python side drives. */
function bridgeFor(db) {
  if (typeof db.export === "function" && typeof db.prepare === "function" && typeof db.run === "function") {
    return {
      kind: "sql.js",
      exec: (sql) => {
        db.run(sql);
      },
      query: (sql, paramsJson) => {
        const statement = db.prepare(sql);
        try {
          statement.bind(JSON.parse(paramsJson));
          const rows = [];
          while (statement.step()) rows.push(statement.get());
          return JSON.stringify(rows);
        } finally {
          statement.free();
        }
      },
      // the sync client's: every value exact (integers as BigInt, blobs, see `tagged`)
      rows: (sql, paramsJson) => {
        const statement = db.prepare(sql);
        try {
          statement.bind(JSON.parse(paramsJson).map(untagged));
          const rows = [];
          while (statement.step()) rows.push(statement.get(null, { useBigInt: true }).map(tagged));
          return JSON.stringify({ rows, changes: db.getRowsModified() });
        } finally {
          statement.free();
        }
      },
    };
  }
  if (typeof db.selectValue === "function" && typeof db.exec === "function") {
    return {
      kind: "sqlite-wasm",
      exec: (sql) => {
        db.exec(sql);
      },
      query: (sql, paramsJson) =>
        JSON.stringify(db.exec({ sql, bind: JSON.parse(paramsJson), rowMode: "array", returnValue: "resultRows" })),
      rows: (sql, paramsJson) => {
        const bind = JSON.parse(paramsJson).map(untagged);
        const rows = db.exec({ sql, bind: bind.length ? bind : undefined, rowMode: "array", returnValue: "resultRows" });
        return JSON.stringify({ rows: rows.map((row) => row.map(tagged)), changes: db.changes() });
      },
    };
  }
  return null;
}

// --- where Python runs: this thread (LocalPython) or mizzle's Web Worker (WorkerPython) ---------
//
// Both start Pyodide lazily and answer `call(method, db, onProgress)` for a database Python can
// open by itself: a path ({path, storage}) or an image ({image: Uint8Array}, opened as a file in
// Pyodide's memory and handed back after an upgrade). A live sql.js / sqlite-wasm handle can only
// be driven from the thread that owns it: LocalPython also takes a bridge.

/** Pyodide, mizzle's wheel and the manifest's Runtime on the calling thread, started once. */
class LocalPython {
  constructor({ indexURL, bundleURL, manifest, pyodide }) {
    Object.assign(this, { indexURL, bundleURL, manifest });
    this.pyodide = pyodide ?? null;
    this._given = Boolean(pyodide);
    this.timings = {};
    this._mounts = new Map();
    this._images = 0;
  }

  start() {
    if (this._closed) return Promise.reject(closedError());
    // a failed start (say, the network was down) is tried again by the next call
    this._started ??= this._start().catch((err) => {
      this._started = null;
      throw err;
    });
    return this._started;
  }

  async _start() {
    const started = performance.now();
    const bundle = fetchBundle(this.bundleURL, this.manifest); // meanwhile
    bundle.catch(() => {}); // awaited below; not an unhandled rejection while Pyodide starts
    if (!this.pyodide) {
      const { loadPyodide } = await import(/* @vite-ignore */ /* webpackIgnore: true */ absolute("pyodide.mjs", this.indexURL));
      this.pyodide = await loadPyodide({ indexURL: this.indexURL });
    }
    const pyodideReady = performance.now();
    Object.assign(this, await bundle);
    for (const wheel of this.wheels.filter((w) => w.role === "runtime")) await installWheel(this.pyodide, this.bundleURL, wheel);
    const Runtime = this.pyodide.pyimport("mizzle.wasm.runtime").Runtime;
    try {
      this.runtime = Runtime(this.manifestText);
    } catch (err) {
      throw new MizzleError(pythonMessage(err));
    }
    this.timings = { pyodideStartMs: pyodideReady - started, bundleLoadMs: performance.now() - pyodideReady };
    return this.timings;
  }

  /**
   * Let go of Python on this thread: the folders mounted on IndexedDB are unmounted (IndexedDB
   * keeps what the last upgrade wrote), the Runtime freed, and a Pyodide this object started
   * dropped (a `pyodide` the app gave stays the app's). Nothing is pending here: calls on this
   * thread run to the end before anything else runs.
   */
  async close() {
    this._closed = true;
    if (!this.pyodide) return;
    for (const dir of this._mounts.keys()) {
      try {
        this.pyodide.FS.unmount(dir);
      } catch {
        // already gone: nothing to let go of
      }
    }
    this._mounts.clear();
    this.runtime?.destroy?.();
    this.runtime = null;
    if (!this._given) this.pyodide = null;
  }

  /** `method` on `db` ({path, storage}, {image}, or a bridge): {value, image?}. `args`: JSON text (sync calls). */
  async call(method, db, onProgress, args) {
    await (SYNC_CALLS.has(method) ? this._withModel("mz.sync()") : this.start());
    if (db.bridge) return { value: this._run(method, db.bridge, onProgress, args) };
    if (db.image) return this._image(method, db.image, onProgress);
    const mount = await this._mount(db);
    try {
      const value = this._run(method, db.path, onProgress, args);
      // a sync call writes (the pending push before it is sent, then the pulled rows)
      if ((method === "upgrade" && value.applied.length) || SYNC_CALLS.has(method)) await mount.save();
      return { value };
    } finally {
      await mount.release();
    }
  }

  async schema() {
    await this._withModel("mz.schema()");
    this._model ??= this.pyodide.pyimport("mizzle.wasm.model");
    return JSON.parse(this._model.validated_snapshot(JSON.stringify(JSON.parse(this.manifestText).snapshot)));
  }

  /** The model wheels (pydantic, pydantic_core, sqlglot), installed once: mz.schema() and the
   *  sync client (its column types are mizzle's model) need them, upgrades never do. */
  async _withModel(who) {
    await this.start();
    this._modelReady ??= (async () => {
      if (!this.wheels.some((w) => w.role === "model")) {
        throw new MizzleError(`${who} needs the model wheels: bundle with \`mizzle bundle --with-model\``);
      }
      for (const wheel of this.wheels.filter((w) => w.role === "model")) await installWheel(this.pyodide, this.bundleURL, wheel);
    })().catch((err) => {
      this._modelReady = null;
      throw err;
    });
    return this._modelReady;
  }

  _run(method, handle, onProgress, args) {
    const progress = onProgress ? (name, ms) => onProgress(name, ms) : undefined;
    const answer = JSON.parse(this.runtime.call(method, handle, progress, args));
    if (!answer.ok) throw new MizzleError(answer.error);
    return answer.value;
  }

  /** An image as a file of Pyodide's memory for one call; the new bytes back after an upgrade. */
  async _image(method, bytes, onProgress) {
    const FS = this.pyodide.FS;
    FS.mkdirTree("/mizzle-images");
    const path = `/mizzle-images/${++this._images}.db`;
    FS.writeFile(path, bytes);
    try {
      const value = this._run(method, path, onProgress);
      const image = method === "upgrade" && value.applied.length ? FS.readFile(path) : null;
      return { value, image };
    } finally {
      for (const file of [path, `${path}-journal`]) if (FS.analyzePath(file).exists) FS.unlink(file);
    }
  }

  /** Mount the database's folder (IndexedDB or OPFS) with the latest copy another tab may have written. */
  async _mount({ path, storage = "idbfs" }) {
    const FS = this.pyodide.FS;
    const dir = path.slice(0, path.lastIndexOf("/")) || "/";
    if (storage === "memory") {
      FS.mkdirTree(dir);
      return { save: async () => {}, release: async () => {} };
    }
    if (dir === "/") throw new MizzleError("put the database in a folder of its own (e.g. /data/app.db): that folder is what persists");
    FS.mkdirTree(dir);
    if (storage === "idbfs") {
      if (!this._mounts.has(dir)) {
        FS.mount(FS.filesystems.IDBFS, {}, dir);
        this._mounts.set(dir, "idbfs");
      }
      const sync = (populate) =>
        new Promise((resolve, reject) => FS.syncfs(populate, (err) => (err ? reject(new MizzleError(`IndexedDB: ${err}`)) : resolve())));
      await sync(true); // read what IndexedDB holds now (another tab may have upgraded it)
      return { save: () => sync(false), release: async () => {} };
    }
    if (storage === "opfs") {
      const root = await navigator.storage.getDirectory();
      let handle = root;
      for (const part of dir.split("/").filter(Boolean)) handle = await handle.getDirectoryHandle(part, { create: true });
      const native = await this.pyodide.mountNativeFS(dir, handle);
      return {
        save: () => native.syncfs(),
        release: async () => FS.unmount(dir), // mounted per call: the next call reads OPFS afresh
      };
    }
    throw new MizzleError(`unknown storage ${JSON.stringify(storage)}: use "idbfs", "opfs" or "memory"`);
  }
}

const WORKER_NAME = "mizzle";
const SYNC_CALLS = new Set(["sync_request", "sync_take"]);

function closedError() {
  return new MizzleError("mizzle was closed (mz.close()): call loadMizzle again to use it");
}

/**
 * LocalPython in a module Web Worker running this same file: the upgrade's long task (Pyodide's
 * start, SQLite's first run, the migrations) never blocks the page; progress comes back as
 * messages while the worker is still inside the transaction.
 */
class WorkerPython {
  constructor(setup, workerURL) {
    this.setup = setup;
    this.workerURL = workerURL;
    this.timings = {};
    this._next = 0;
    this._waiting = new Map();
  }

  start() {
    this._started ??= this._request({ op: "start", setup: this.setup }).then(
      (timings) => (this.timings = timings),
      (err) => {
        this._started = null;
        throw err;
      },
    );
    return this._started;
  }

  async call(method, db, onProgress, args) {
    await this.start();
    return this._request({ op: "call", method, db, args }, onProgress);
  }

  async schema() {
    await this.start();
    return this._request({ op: "schema" });
  }

  /**
   * Terminate the worker, and with it its Pyodide, its mounts and any call still running there:
   * such a call rejects and leaves the database as it was (the worker writes IndexedDB, OPFS
   * or an image back only after its transaction committed, and the page saves an image only
   * once the worker answered).
   */
  async close() {
    this._closed = true;
    this.worker?.terminate();
    this.worker = null;
    const error = closedError();
    for (const waiting of this._waiting.values()) waiting.reject(error);
    this._waiting.clear();
  }

  _request(message, onProgress) {
    if (this._closed) return Promise.reject(closedError());
    if (!this.worker) {
      this.worker = new Worker(this.workerURL, { type: "module", name: WORKER_NAME });
      this.worker.onmessage = ({ data }) => {
        const waiting = this._waiting.get(data.id);
        if (!waiting) return;
        if (data.progress) return waiting.onProgress?.(...data.progress);
        this._waiting.delete(data.id);
        if (data.ok) waiting.resolve(data.value);
        else waiting.reject(new MizzleError(data.error));
      };
      this.worker.onerror = (event) => {
        event.preventDefault?.();
        const error = new MizzleError(`mizzle's worker failed: ${event.message ?? "it could not be loaded"} (${this.workerURL})`);
        for (const waiting of this._waiting.values()) waiting.reject(error);
        this._waiting.clear();
      };
    }
    const id = ++this._next;
    return new Promise((resolve, reject) => {
      this._waiting.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ id, ...message });
    });
  }
}

/** The worker's side: one LocalPython, answering WorkerPython's messages in order. */
function serveWorker() {
  let python = null;
  let queue = Promise.resolve();
  globalThis.onmessage = ({ data }) => {
    queue = queue.then(async () => {
      const { id } = data;
      try {
        let value;
        let transfer = [];
        if (data.op === "start") {
          python ??= new LocalPython(data.setup);
          value = await python.start();
        } else if (data.op === "schema") {
          value = await python.schema();
        } else {
          const onProgress = (name, ms) => globalThis.postMessage({ id, progress: [name, ms] });
          const answer = await python.call(data.method, data.db, onProgress, data.args);
          value = answer;
          if (answer.image) transfer = [answer.image.buffer];
        }
        globalThis.postMessage({ id, ok: true, value }, transfer);
      } catch (err) {
        globalThis.postMessage({ id, ok: false, error: err instanceof MizzleError ? err.message : pythonMessage(err) });
      }
    });
  };
}

// Loaded by WorkerPython (a worker named "mizzle"): serve. Imported anywhere else: do nothing.
if (typeof WorkerGlobalScope !== "undefined" && globalThis instanceof WorkerGlobalScope && globalThis.name === WORKER_NAME) serveWorker();

// --- what JavaScript answers without Python ------------------------------------------------------

const TRACKING_TABLE = "__mizzle_migrations";
const PROGRESS_TABLE = "__mizzle_progress";

/**
 * The tracking rows of a database the app owns, read through its own handle: {rows: [[name,
 * checksum, applied_at]], interrupted}. No Pyodide: this is how a current database costs nothing.
 */
function trackedRows(bridge) {
  const tables = JSON.parse(
    bridge.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)", JSON.stringify([TRACKING_TABLE, PROGRESS_TABLE])),
  ).map(([name]) => name);
  if (!tables.includes(TRACKING_TABLE)) return { rows: [], interrupted: false };
  const rows = JSON.parse(bridge.query(`SELECT name, checksum, applied_at FROM "${TRACKING_TABLE}" ORDER BY id`, "[]"));
  const interrupted =
    tables.includes(PROGRESS_TABLE) && JSON.parse(bridge.query(`SELECT count(*) FROM "${PROGRESS_TABLE}"`, "[]"))[0][0] > 0;
  return { rows, interrupted };
}

/**
 * Whether the tracking rows are exactly the manifest's migrations (names and checksums, in
 * order, nothing interrupted). Only "yes" is trusted: anything else goes to the runner in
 * Python, which says what is pending or wrong.
 */
function atHead(tracked, manifest) {
  const { rows, interrupted } = tracked;
  const migrations = manifest.migrations;
  return (
    !interrupted &&
    rows.length === migrations.length &&
    rows.every(([name, checksum], i) => name === migrations[i].name && checksum === migrations[i].checksum)
  );
}

/** The connection settings an upgrade may change, read through the app's handle. */
function readSettings(bridge) {
  const one = (pragma) => JSON.parse(bridge.query(`PRAGMA ${pragma}`, "[]"))[0]?.[0];
  return { foreign_keys: one("foreign_keys"), journal_mode: one("journal_mode") };
}

/** Put back what `readSettings` read (the runner turns foreign keys on after a migration that
 *  turned them off, whatever they were; sql.js's default is off). */
function restoreSettings(bridge, before) {
  const now = readSettings(bridge);
  if (now.foreign_keys !== before.foreign_keys) bridge.exec(`PRAGMA foreign_keys = ${before.foreign_keys ? "ON" : "OFF"}`);
  if (before.journal_mode && now.journal_mode !== before.journal_mode && /^\w+$/.test(before.journal_mode)) {
    bridge.query(`PRAGMA journal_mode = ${before.journal_mode}`, "[]");
  }
}

class Mizzle extends EventTarget {
  constructor(python, setup, head, timings) {
    super();
    this._python = python;
    this._setup = setup;
    this.bundleURL = setup.bundleURL;
    this._local = python instanceof LocalPython ? python : null;
    /** what head.json says: {head, migrations: [{name, checksum}]} (the SQL stays in manifest.json) */
    this.manifest = { head: head.head, migrations: head.migrations };
    this._timings = timings;
    /** the resolvers of syncEvery loops waiting for their next tick (close() wakes them) */
    this._wakeOnClose = new Set();
    /** the migration every upgrade leads to */
    this.head = head.head;
  }

  /** {headLoadMs} and, once Python has started, {pyodideStartMs, bundleLoadMs}. */
  get timings() {
    return { ...this._timings, ...this._python.timings };
  }

  /** Pyodide on this thread (with `worker: false`, once `await mz.python()` or a call started it). */
  get pyodide() {
    return this._local?.pyodide ?? undefined;
  }

  /**
   * Let go of everything this `mz` holds: mizzle's Web Worker is terminated (its Pyodide and
   * mounts with it; a call still running there rejects and changes nothing), the Pyodide this
   * thread started for a live sql.js / sqlite-wasm handle is dropped, IndexedDB folders are
   * unmounted. Every later call rejects with a MizzleError; `loadMizzle` again gives a new `mz`.
   * Closing twice does nothing more.
   */
  async close() {
    this._closed = true;
    // syncEvery loops waiting for their next tick end now instead of at it
    for (const wake of this._wakeOnClose) wake();
    this._wakeOnClose.clear();
    await this._python.close();
    if (this._local && this._local !== this._python) await this._local.close();
  }

  _checkOpen() {
    if (this._closed) throw closedError();
  }

  /** Start Python now rather than at the first call that needs it (e.g. while the app idles). */
  async python() {
    this._checkOpen();
    await this._python.start();
    return this.pyodide;
  }

  /**
   * Apply every pending migration, atomically, holding the database's Web Lock. A database the
   * app owns (sql.js, sqlite-wasm) that is already at the head is answered without Pyodide.
   * @param db a path (string or {path, storage: "idbfs" | "opfs" | "memory"}), a sql.js Database,
   *   or a sqlite-wasm oo1.DB
   * @param {{onProgress?: (name: string, ms: number) => void, persist?: (bytes: Uint8Array) => Promise<void>,
   *          lockName?: string}} options persist: for a sql.js database kept as an image, called with
   *   the new image only after the upgrade committed (save it in one IndexedDB transaction: `idbImage`)
   * @returns {Promise<{from: string|null, to: string|null, applied: string[], ms: number}>}
   */
  async upgrade(db, options = {}) {
    return this._locked(db, options, "exclusive", async (target) => {
      if (target.bridge) {
        const started = performance.now();
        if (atHead(trackedRows(target.bridge), this.manifest)) return this._nothingToDo(started);
        const value = await this._driveHandle(target.bridge, "upgrade", options.onProgress);
        if (value.applied.length && options.persist && target.image) await options.persist(target.image.export());
        return value;
      }
      return (await this._python.call("upgrade", target.spec, options.onProgress)).value;
    });
  }

  /**
   * Load an image (sql.js bytes kept in IndexedDB, say), upgrade it and save it, all inside one
   * exclusive Web Lock, so two tabs never each upgrade a copy of it. Open the app's database
   * from the returned `image` afterwards; writes the app makes elsewhere to the same image
   * (load, change, save) take the same lock (`mz.withLock(lockName, fn)`) and are never lost.
   * @param {{load: () => Promise<Uint8Array|null>, save: (bytes: Uint8Array) => Promise<void>,
   *          open?: (bytes: Uint8Array) => object, lockName?: string,
   *          onProgress?: (name: string, ms: number) => void}} options open: a sql.js or sqlite-wasm
   *   database over the bytes (closed again), to learn without Pyodide that the image is current
   * @returns {Promise<{from, to, applied, ms, image: Uint8Array|null}>} image: what was saved, or
   *   what was loaded when there was nothing to do
   */
  async upgradeImage({ load, save, open, lockName = "image", onProgress } = {}) {
    this._checkOpen();
    if (typeof load !== "function" || typeof save !== "function") {
      throw new MizzleError("upgradeImage needs load() and save(bytes): where the image is kept");
    }
    return this.withLock(lockName, async () => {
      const started = performance.now();
      const loaded = (await load()) ?? null;
      if (loaded && open) {
        const handle = open(loaded);
        try {
          const bridge = bridgeFor(handle);
          if (bridge && atHead(trackedRows(bridge), this.manifest)) return { ...this._nothingToDo(started), image: loaded };
        } finally {
          handle.close?.();
        }
      }
      const { value, image } = await this._python.call("upgrade", { image: loaded ?? new Uint8Array() }, onProgress);
      if (!image) return { ...value, image: loaded };
      await save(image);
      return { ...value, image };
    });
  }

  /** Run `fn` holding the exclusive Web Lock `mizzle:<lockName>` (what upgrade and upgradeImage take). */
  async withLock(lockName, fn) {
    if (!globalThis.navigator?.locks) return fn(); // no Web Locks (a worker of an old browser): one tab only
    return navigator.locks.request(LOCK_PREFIX + lockName, { mode: "exclusive" }, fn);
  }

  /** Whether the database is at the bundle's head (JavaScript alone for a database the app owns). */
  async isCurrent(db, options = {}) {
    return this._locked(db, options, "shared", async (target) => {
      if (target.bridge) return atHead(trackedRows(target.bridge), this.manifest);
      const { value } = await this._python.call("status", target.spec);
      return value.pending.length === 0 && value.problems.length === 0 && value.current === this.head;
    });
  }

  /** Applied and pending migrations: {current, head, applied: [{name, applied_at}], pending, problems}. */
  async status(db, options = {}) {
    return this._locked(db, options, "shared", async (target) => {
      if (target.bridge) {
        const tracked = trackedRows(target.bridge);
        if (atHead(tracked, this.manifest)) {
          const applied = tracked.rows.map(([name, , applied_at]) => ({ name, applied_at }));
          return { current: this.head, head: this.head, applied, pending: [], problems: [] };
        }
        return this._driveHandle(target.bridge, "status");
      }
      return (await this._python.call("status", target.spec)).value;
    });
  }

  /** Whether the database is what the bundle's migrations make: {ok, current, head, pending, problems, missing, extra, changed}. */
  async check(db, options = {}) {
    return this._locked(db, options, "shared", (target) => this._callTarget("check", target));
  }

  /** The database's tables: [{name, columns, rows}] (mizzle's own left out). */
  async tables(db, options = {}) {
    return this._locked(db, options, "shared", (target) => this._callTarget("tables", target));
  }

  /**
   * The schema the bundle leads to, validated by mizzle's model in Pyodide (loads pydantic,
   * pydantic_core and sqlglot from the bundle on first use; the upgrade path never needs them).
   */
  async schema() {
    this._checkOpen();
    return this._python.schema();
  }

  /**
   * Push the database's waiting changes to a mizzle sync server and pull everyone's, until the
   * server has nothing more (docs/sync.md, *The browser client*). The outbox is the database:
   * the sync triggers record every local write, and a push is written into the database with
   * its batch id before it is sent, so a reload mid-sync loses nothing and the resend applies
   * nothing twice. Holds the database's Web Lock. Python (Pyodide) does the database's part:
   * the same code as the Python client, so both build the same requests.
   * @returns {Promise<SyncResult>} {pushed, pulled, conflicts, rejected, localConflicts, localRejected, requests}
   */
  async sync(db, options = {}) {
    const { url, token } = options;
    if (typeof url !== "string" || !url) throw new SyncError("mz.sync needs the sync server's url", "bad_options");
    if (token === undefined || token === null) throw new SyncError("mz.sync needs a token (the JWT, or a function returning one)", "bad_options");
    const endpoint = url.replace(/\/+$/, "") + "/sync";
    const args = {
      tables: options.tables ?? null,
      device: options.device ?? null,
      limit: options.limit ?? 1000,
      push_limit: options.pushLimit ?? 5000,
    };
    const result = await this._locked(db, options, "exclusive", async (target) => {
      if (target.spec === undefined && !target.bridge) throw new SyncError("mz.sync works on a path or a sql.js / sqlite-wasm database", "bad_options");
      const call = async (method, extra) => {
        const json = JSON.stringify({ ...args, ...extra });
        const value = target.bridge
          ? await this._driveHandle(target.bridge, method, undefined, json)
          : (await this._python.call(method, target.spec, undefined, json)).value;
        if (target.image && options.persist) await options.persist(target.image.export());
        return value;
      };
      const total = { pushed: 0, pulled: 0, conflicts: [], rejected: [], localConflicts: [], localRejected: [], requests: 0 };
      let push = true;
      for (;;) {
        const request = await call("sync_request", { push });
        const response = await postSync(endpoint, request, options);
        total.requests += 1;
        const step = await call("sync_take", { request, response });
        total.pushed += step.pushed;
        total.pulled += step.pulled;
        total.conflicts.push(...step.conflicts);
        total.rejected.push(...step.rejected);
        total.localConflicts.push(...step.local_conflicts);
        total.localRejected.push(...step.local_rejected);
        if (!step.again) return total;
        push = step.push; // more was waiting than one push carries
      }
    });
    for (const conflict of result.conflicts) {
      options.onConflict?.(conflict);
      this.dispatchEvent(new CustomEvent("conflict", { detail: conflict }));
    }
    this.dispatchEvent(new CustomEvent("sync", { detail: result }));
    return result;
  }

  /**
   * `mz.sync(db, options)` now and every `options.interval` ms until `stop()`; a server out of
   * reach (after the retries) is tried again at the next interval; any other failure stops it
   * and is dispatched as an "error" event. Results come as "sync" events, conflicts as "conflict".
   * @returns {{stop: () => Promise<void>}}
   */
  syncEvery(db, options = {}) {
    const interval = options.interval ?? 30000;
    let stopped = false;
    let timer = null;
    let wake = null;
    const loop = (async () => {
      while (!stopped && !this._closed) {
        try {
          await this.sync(db, options);
        } catch (err) {
          // mz.close() ends the loop quietly: the app asked for it, nothing failed
          if (this._closed) return;
          if (!(err instanceof SyncError && err.retryable)) {
            this.dispatchEvent(new CustomEvent("error", { detail: err }));
            return;
          }
        }
        if (stopped || this._closed) return;
        await new Promise((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, interval);
          this._wakeOnClose.add(resolve);
        });
        this._wakeOnClose.delete(wake);
      }
    })();
    return {
      stop: async () => {
        stopped = true;
        clearTimeout(timer);
        wake?.();
        await loop;
      },
    };
  }

  _nothingToDo(started) {
    return { from: this.head, to: this.head, applied: [], ms: Math.round((performance.now() - started) * 10) / 10 };
  }

  async _callTarget(method, target) {
    if (target.bridge) return this._driveHandle(target.bridge, method);
    return (await this._python.call(method, target.spec)).value;
  }

  /**
   * A live sql.js / sqlite-wasm handle is driven statement by statement from this thread (Python
   * calls into it synchronously, which no worker can do across threads without
   * SharedArrayBuffer): Pyodide starts here. The handle's settings are put back afterwards.
   */
  async _driveHandle(bridge, method, onProgress, args) {
    this._checkOpen();
    this._local ??= new LocalPython(this._setup);
    await this._local.start();
    const before = readSettings(bridge);
    try {
      return (await this._local.call(method, { bridge }, onProgress, args)).value;
    } finally {
      restoreSettings(bridge, before);
    }
  }

  async _locked(db, options, mode, work) {
    this._checkOpen();
    const name = LOCK_PREFIX + (options.lockName ?? lockKey(db));
    const run = async () => work(this._target(db));
    if (!globalThis.navigator?.locks) return run(); // no Web Locks (a worker of an old browser): one tab only
    return navigator.locks.request(name, { mode }, run);
  }

  /** What the call works on: a bridge to the app's handle, or a path spec Python opens. */
  _target(db) {
    const bridge = db && typeof db === "object" && !("path" in db) ? bridgeFor(db) : null;
    if (bridge) return { bridge, image: bridge.kind === "sql.js" ? db : null };
    const spec = typeof db === "string" ? { path: db } : db;
    if (!spec || typeof spec.path !== "string" || !spec.path.startsWith("/")) {
      throw new MizzleError("a database is an absolute path in Pyodide's file system, a sql.js Database or a sqlite-wasm oo1.DB");
    }
    return { spec: { path: spec.path, storage: spec.storage ?? "idbfs" } };
  }
}

// --- the sync client's network half ---------------------------------------------------------------

/** HTTP statuses worth another try: the server or the database was busy or away. */
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** A sync the server refused, or could not be reached for: `code` is the server's error code
 *  ("unauthorized", "upgrade_required", "schema_ahead", ...) or "unreachable". */
export class SyncError extends MizzleError {
  constructor(message, code, status = null) {
    super(message);
    this.name = "SyncError";
    this.code = code;
    this.status = status;
  }

  /** Whether the same request may succeed later (out of reach, busy). */
  get retryable() {
    return this.code === "unreachable" || this.code === "retry" || RETRY_STATUSES.has(this.status);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * POST the request (JSON text, sent byte for byte on every try) and return the answer as text:
 * neither is parsed here, where a number beyond 2^53 would lose digits. A connection that fails,
 * a timeout, 408/429/5xx and 409 `retry` are tried again after `backoff` ms, doubled each time,
 * with jitter, `retries` times; any other refusal is thrown at once as a SyncError.
 */
async function postSync(endpoint, body, { token, fetch: send = globalThis.fetch.bind(globalThis), retries = 5, backoff = 200, timeout = 30000 }) {
  for (let attempt = 0; ; attempt++) {
    const bearer = typeof token === "function" ? await token() : token;
    let failure;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeout);
    try {
      const response = await send(endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${bearer}` },
        body,
        signal: abort.signal,
      });
      const text = await response.text();
      if (response.ok) return text;
      let error = null;
      try {
        error = JSON.parse(text).error ?? null;
      } catch {
        // not JSON: a proxy's page; the status says enough
      }
      failure = new SyncError(error?.message ?? `the sync server answered ${response.status}`, error?.code ?? "http", response.status);
      if (!failure.retryable) throw failure;
    } catch (err) {
      if (err instanceof SyncError && !err.retryable) throw err;
      failure = err instanceof SyncError ? err : new SyncError(`the sync server ${endpoint} is not reachable: ${err.message ?? err}`, "unreachable");
    } finally {
      clearTimeout(timer);
    }
    if (attempt >= retries) throw failure;
    await sleep(backoff * 2 ** attempt * (0.5 + Math.random()));
  }
}

function lockKey(db) {
  if (typeof db === "string") return db;
  if (db && typeof db.path === "string") return db.path;
  return "default";
}

/**
 * A database image kept in IndexedDB (for sql.js): `load()` gives the bytes (or null), `save(bytes)`
 * replaces them in one IndexedDB transaction, so a reader sees the old image or the new one, never half.
 */
export function idbImage(databaseName, key = "image") {
  const open = () =>
    new Promise((resolve, reject) => {
      const request = indexedDB.open(databaseName, 1);
      request.onupgradeneeded = () => request.result.createObjectStore("images");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  const run = async (mode, action) => {
    const idb = await open();
    try {
      return await new Promise((resolve, reject) => {
        const tx = idb.transaction("images", mode);
        const result = action(tx.objectStore("images"));
        tx.oncomplete = () => resolve(result.result);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error ?? new MizzleError("IndexedDB transaction aborted"));
      });
    } finally {
      idb.close();
    }
  };
  return {
    load: async () => (await run("readonly", (store) => store.get(key))) ?? null,
    save: async (bytes) => {
      await run("readwrite", (store) => store.put(bytes, key));
    },
  };
}
