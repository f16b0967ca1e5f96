// mizzle.js: upgrade a browser's SQLite database in place with mizzle's migrator in Pyodide.
//
//   import { loadMizzle } from "mizzle";          // npm install ./public/mizzle (or "/mizzle/mizzle.js")
//   const mz = await loadMizzle({ bundleURL: "/mizzle/" });   // Pyodide from /mizzle/pyodide/
//   await mz.upgrade("/data/app.db");             // a file in Pyodide's FS, kept in IndexedDB
//   await mz.upgrade({ path: "/opfs/app.db", storage: "opfs" });
//   await mz.upgrade(sqlJsDatabase, { persist: (bytes) => store.save(bytes) });
//   await mz.upgrade(sqliteWasmOo1Db);
//   await mz.status(db);  await mz.check(db);
//
// Everything runs offline: Pyodide comes from `indexURL` (the `pyodide` npm package, served by
// the app), the migrator and the migrations from `bundleURL` (what `mizzle bundle` wrote).
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
 * Read the bundle's manifest, start Pyodide (or use `pyodide`), install mizzle from the bundle.
 * `indexURL` defaults to the bundle's `pyodide/` folder (where `mizzle bundle --pyodide` puts it).
 * `expectHead` (default: `bundledHead`, the head this mizzle.js was bundled with): refuse a
 * manifest whose migrations do not include it, i.e. one older than the app's code.
 * @param {{indexURL?: string, bundleURL?: string, pyodide?: object, expectHead?: string | null}} options
 */
export async function loadMizzle({ indexURL, bundleURL, pyodide, expectHead = bundledHead } = {}) {
  const bundle = absolute(bundleURL ?? "./", globalThis.location?.href);
  const index = absolute(indexURL ?? "pyodide/", bundle);
  // The entry files change with every deploy: revalidate them whatever the cache headers say
  // (a heuristically cached manifest.json once hid a deploy). Wheels are content-addressed.
  const entry = { cache: "no-cache" };
  const manifestURL = absolute("manifest.json", bundle);
  const [manifest, wheels] = await Promise.all([
    fetchOk(manifestURL, entry).then((r) => r.text()),
    fetchOk(absolute("wheels.json", bundle), entry).then((r) => r.json()),
  ]);
  const parsed = JSON.parse(manifest);
  if (expectHead && !parsed.migrations.some((m) => m.name === expectHead)) {
    throw new MizzleError(
      `the bundle's manifest (${manifestURL}) is older than the app: its head is ${parsed.head ?? "none"}, ` +
        `the app expects ${expectHead} (a stale copy from a cache? serve manifest.json with Cache-Control: no-cache)`,
    );
  }
  const started = performance.now();
  let py = pyodide;
  if (!py) {
    const { loadPyodide } = await import(/* @vite-ignore */ /* webpackIgnore: true */ absolute("pyodide.mjs", index));
    py = await loadPyodide({ indexURL: index });
  }
  const pyodideReady = performance.now();
  for (const wheel of wheels.filter((w) => w.role === "runtime")) await installWheel(py, bundle, wheel);
  const Runtime = py.pyimport("mizzle.wasm.runtime").Runtime;
  let runtime;
  try {
    runtime = Runtime(manifest);
  } catch (err) {
    throw new MizzleError(pythonMessage(err));
  }
  const loaded = performance.now();
  return new Mizzle(py, runtime, bundle, wheels, parsed, {
    pyodideStartMs: pyodideReady - started,
    bundleLoadMs: loaded - pyodideReady,
  });
}

function pythonMessage(err) {
  // A PythonError's message is a traceback: its last line is the exception.
  const lines = String(err.message ?? err).trim().split("\n");
  return lines[lines.length - 1].replace(/^[\w.]*Error: /, "");
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
    };
  }
  return null;
}

class Mizzle {
  constructor(pyodide, runtime, bundleURL, wheels, manifest, timings) {
    this.pyodide = pyodide;
    this.runtime = runtime;
    this.bundleURL = bundleURL;
    this.wheels = wheels;
    this.manifest = manifest;
    /** {pyodideStartMs, bundleLoadMs}: how long loadMizzle took */
    this.timings = timings;
    /** the migration every upgrade leads to */
    this.head = manifest.head;
    this._mounts = new Map();
  }

  /**
   * Apply every pending migration, atomically, holding the database's Web Lock.
   * @param db a path (string or {path, storage: "idbfs" | "opfs" | "memory"}), a sql.js Database,
   *   or a sqlite-wasm oo1.DB
   * @param {{onProgress?: (name: string, ms: number) => void, persist?: (bytes: Uint8Array) => Promise<void>,
   *          lockName?: string}} options persist: for a sql.js database kept as an image, called with
   *   the new image only after the upgrade committed (save it in one IndexedDB transaction: `idbImage`)
   * @returns {Promise<{from: string|null, to: string|null, applied: string[], ms: number}>}
   */
  async upgrade(db, options = {}) {
    return this._locked(db, options, "exclusive", async (target) => {
      const value = this._call("upgrade", target.handle, options.onProgress);
      if (value.applied.length) await target.saved(options.persist);
      return value;
    });
  }

  /** Applied and pending migrations: {current, head, applied: [{name, applied_at}], pending, problems}. */
  async status(db, options = {}) {
    return this._locked(db, options, "shared", async (target) => this._call("status", target.handle));
  }

  /** Whether the database is what the bundle's migrations make: {ok, current, head, pending, problems, missing, extra, changed}. */
  async check(db, options = {}) {
    return this._locked(db, options, "shared", async (target) => this._call("check", target.handle));
  }

  /** The database's tables: [{name, columns, rows}] (mizzle's own left out). */
  async tables(db, options = {}) {
    return this._locked(db, options, "shared", async (target) => this._call("tables", target.handle));
  }

  /**
   * The schema the bundle leads to, validated by mizzle's model in Pyodide (loads pydantic,
   * pydantic_core and sqlglot from the bundle on first use; the upgrade path never needs them).
   */
  async schema() {
    if (!this._model) {
      if (!this.wheels.some((w) => w.role === "model")) {
        throw new MizzleError("mz.schema() needs the model wheels: bundle with `mizzle bundle --with-model`");
      }
      for (const wheel of this.wheels.filter((w) => w.role === "model")) await installWheel(this.pyodide, this.bundleURL, wheel);
      this._model = this.pyodide.pyimport("mizzle.wasm.model");
    }
    return JSON.parse(this._model.validated_snapshot(JSON.stringify(this.manifest.snapshot)));
  }

  _call(method, handle, onProgress) {
    const progress = onProgress ? (name, ms) => onProgress(name, ms) : undefined;
    const answer = JSON.parse(this.runtime.call(method, handle, progress));
    if (!answer.ok) throw new MizzleError(answer.error);
    return answer.value;
  }

  async _locked(db, options, mode, work) {
    const name = LOCK_PREFIX + (options.lockName ?? lockKey(db));
    const run = async () => {
      const target = await this._target(db);
      try {
        return await work(target);
      } finally {
        await target.close();
      }
    };
    if (!globalThis.navigator?.locks) return run(); // no Web Locks (a worker of an old browser): one tab only
    return navigator.locks.request(name, { mode }, run);
  }

  /** What the Python side opens, and how the result is kept. */
  async _target(db) {
    const bridge = typeof db === "object" && !("path" in db) ? bridgeFor(db) : null;
    if (bridge) {
      const image = bridge.kind === "sql.js" ? db : null;
      return {
        handle: bridge,
        saved: async (persist) => {
          if (persist && image) await persist(image.export());
        },
        close: async () => {},
      };
    }
    const spec = typeof db === "string" ? { path: db } : db;
    if (!spec || typeof spec.path !== "string" || !spec.path.startsWith("/")) {
      throw new MizzleError("a database is an absolute path in Pyodide's file system, a sql.js Database or a sqlite-wasm oo1.DB");
    }
    const storage = spec.storage ?? "idbfs";
    const dir = spec.path.slice(0, spec.path.lastIndexOf("/")) || "/";
    const mount = await this._mount(dir, storage);
    return {
      handle: spec.path,
      saved: async () => mount.save(),
      close: async () => mount.release(),
    };
  }

  /** Mount `dir` (IndexedDB or OPFS) with the latest copy another tab may have written. */
  async _mount(dir, storage) {
    const FS = this.pyodide.FS;
    if (storage === "memory") return { save: async () => {}, release: async () => {} };
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
