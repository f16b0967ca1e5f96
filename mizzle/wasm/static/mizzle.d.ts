// Types of mizzle.js, the browser runtime `mizzle bundle` writes (docs/browser.md).

/** A failure of a mizzle call: its message is one line for the user. */
export class MizzleError extends Error {
  constructor(message: string);
}

/** The head of the migrations this copy of mizzle.js was bundled with (null: none). */
export const bundledHead: string | null;

/** A database in Pyodide's file system: a path, or a path and where its folder is kept. */
export type DatabasePath = string | { path: string; storage?: "idbfs" | "opfs" | "memory" };

/** A sql.js `Database` or an `@sqlite.org/sqlite-wasm` `oo1.DB` (driven through a bridge). */
export type LibraryDatabase = object;

export type Database = DatabasePath | LibraryDatabase;

export interface LoadOptions {
  /** Where Pyodide's files are served (default: the bundle's `pyodide/` folder). */
  indexURL?: string;
  /** Where the bundle is served (default: the page's folder). */
  bundleURL?: string;
  /** A Pyodide instance already started (then `indexURL` is not used; Python runs on this thread). */
  pyodide?: object;
  /** Run Python in a Web Worker (default: true where `Worker` exists and no `pyodide` is given). */
  worker?: boolean;
  /** The worker's script (default: the bundle's `mizzle.js`). */
  workerURL?: string;
  /** Refuse a manifest that does not reach this migration (default: `bundledHead`; null: no check). */
  expectHead?: string | null;
}

export interface CallOptions {
  /** The Web Lock's name (default: `mizzle:<path>`). */
  lockName?: string;
}

export interface UpgradeOptions extends CallOptions {
  onProgress?: (name: string, ms: number) => void;
  /** For a sql.js database kept as an image: called with the new image once the upgrade committed. */
  persist?: (bytes: Uint8Array) => Promise<void>;
}

export interface UpgradeResult {
  from: string | null;
  to: string | null;
  applied: string[];
  ms: number;
}

export interface ImageOptions {
  /** The stored image, or null when there is none yet. */
  load: () => Promise<Uint8Array | null>;
  /** Store the new image (called only after an upgrade that applied something committed). */
  save: (bytes: Uint8Array) => Promise<void>;
  /** A sql.js / sqlite-wasm database over the bytes (closed again): "is it current?" without Pyodide. */
  open?: (bytes: Uint8Array) => LibraryDatabase;
  /** The Web Lock held from load to save is `mizzle:<lockName>` (default "image"). */
  lockName?: string;
  onProgress?: (name: string, ms: number) => void;
}

export interface ImageResult extends UpgradeResult {
  /** What was saved, or what was loaded when there was nothing to do. */
  image: Uint8Array | null;
}

export interface Status {
  current: string | null;
  head: string | null;
  applied: { name: string; applied_at: string }[];
  pending: string[];
  problems: string[];
}

export interface CheckResult {
  ok: boolean;
  current: string | null;
  head: string | null;
  pending: string[];
  problems: string[];
  missing: string[];
  extra: string[];
  changed: string[];
}

export interface TableContents {
  name: string;
  columns: string[];
  rows: unknown[][];
}

export interface WheelEntry {
  file: string;
  url?: string;
  role: "runtime" | "model";
  sha256: string;
  bytes: string;
}

/** A sync the server refused, or could not be reached for. */
export class SyncError extends MizzleError {
  constructor(message: string, code: string, status?: number | null);
  /** The server's error code ("unauthorized", "upgrade_required", "schema_ahead", ...) or "unreachable". */
  readonly code: string;
  readonly status: number | null;
  /** Whether the same request may succeed later (out of reach, busy). */
  readonly retryable: boolean;
}

export interface SyncOptions extends CallOptions {
  /** The sync server's base URL (requests go to `<url>/sync`). */
  url: string;
  /** The JWT, or a function giving a fresh one for each request. */
  token: string | (() => string | Promise<string>);
  /** The tables to sync, parents first (default: every sync table of the database, parents first). */
  tables?: string[];
  /** The device id written into this database's rows. */
  device?: string;
  /** The most rows per table in one response (default 1000). */
  limit?: number;
  /** The most rows and deletes in one push (default 5000). */
  pushLimit?: number;
  /** Tries after a failure in transit (default 5), waiting `backoff` ms (default 200), doubled each time. */
  retries?: number;
  backoff?: number;
  /** ms before a request is given up and tried again (default 30000). */
  timeout?: number;
  /** The fetch to send requests with (default: the global one). */
  fetch?: typeof fetch;
  /** Called with each conflict the server reports, after the sync committed. */
  onConflict?: (conflict: SyncItem) => void;
  /** For a sql.js database kept as an image: called with the image after each step that wrote. */
  persist?: (bytes: Uint8Array) => Promise<void>;
}

export interface SyncEveryOptions extends SyncOptions {
  /** ms between syncs (default 30000). */
  interval?: number;
}

/** One pushed row or delete the server did not simply apply (integers beyond 2^53 as text). */
export interface SyncItem {
  table: string;
  index: number;
  pk: unknown[];
  status: "conflict" | "rejected";
  reason?: string;
  /** The server's row (conflicts). */
  server_row?: Record<string, unknown> | null;
  /** How the table's policy settled it: "client", "server", "merged", or null (reject). */
  resolution?: "client" | "server" | "merged" | null;
}

/** A conflict met applying pulled rows here (a local edit not pushed yet). */
export interface LocalConflict {
  pk: unknown[];
  local_version: number;
  remote_version: number;
  reason: string;
  local_row: Record<string, unknown> | null;
  remote_row: Record<string, unknown> | null;
}

export interface SyncResult {
  /** Rows and deletes the server took. */
  pushed: number;
  pulled: number;
  conflicts: SyncItem[];
  rejected: SyncItem[];
  localConflicts: LocalConflict[];
  /** Pulled rows and deletes this database refused (a value its column cannot hold). */
  localRejected: { table: string; kind: "row" | "delete"; pk: unknown[] | null; reason: string }[];
  requests: number;
}

export interface Mizzle extends EventTarget {
  /** Pyodide on this thread (`worker: false`), once started; undefined with the worker. */
  readonly pyodide: any;
  readonly bundleURL: string;
  /** What the bundle's head.json says (names and checksums; the SQL is fetched when Python starts). */
  readonly manifest: { head: string | null; migrations: { name: string; checksum: string }[] };
  /** The migration every upgrade leads to. */
  readonly head: string | null;
  /** headLoadMs (head.json); pyodideStartMs and bundleLoadMs (wheel, manifest) once Python has started. */
  readonly timings: { headLoadMs: number; pyodideStartMs?: number; bundleLoadMs?: number };
  /** Start Python now rather than at the first call that needs it. */
  python(): Promise<any>;
  /**
   * Terminate mizzle's worker (a call running there rejects, changing nothing), drop the Pyodide
   * this thread started, unmount IndexedDB folders; later calls reject. Idempotent.
   */
  close(): Promise<void>;
  upgrade(db: Database, options?: UpgradeOptions): Promise<UpgradeResult>;
  /** Load, upgrade and save an image inside one exclusive Web Lock. */
  upgradeImage(options: ImageOptions): Promise<ImageResult>;
  /** Whether the database is at the bundle's head (JavaScript alone for a database the app owns). */
  isCurrent(db: Database, options?: CallOptions): Promise<boolean>;
  /** `fn()` holding the exclusive Web Lock `mizzle:<lockName>`. */
  withLock<T>(lockName: string, fn: () => Promise<T>): Promise<T>;
  status(db: Database, options?: CallOptions): Promise<Status>;
  check(db: Database, options?: CallOptions): Promise<CheckResult>;
  tables(db: Database, options?: CallOptions): Promise<TableContents[]>;
  /** The target schema, validated by mizzle's model in Pyodide (needs `mizzle bundle --with-model`). */
  schema(): Promise<Record<string, unknown>>;
  /** Push the waiting changes and pull everyone's until the server has nothing more ("sync" and "conflict" events too). */
  sync(db: Database, options: SyncOptions): Promise<SyncResult>;
  /** `sync` now and every `interval` ms until `stop()`; a failure other than "out of reach" stops it ("error" event). */
  syncEvery(db: Database, options: SyncEveryOptions): { stop(): Promise<void> };
}

export function loadMizzle(options?: LoadOptions): Promise<Mizzle>;

/** A database image kept in IndexedDB (for sql.js), replaced in one transaction. */
export function idbImage(
  databaseName: string,
  key?: string,
): { load(): Promise<Uint8Array | null>; save(bytes: Uint8Array): Promise<void> };
