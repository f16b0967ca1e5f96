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
  /** A Pyodide instance already started (then `indexURL` is not used). */
  pyodide?: object;
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

export interface Mizzle {
  readonly pyodide: any;
  readonly bundleURL: string;
  readonly wheels: WheelEntry[];
  readonly manifest: { head: string | null; migrations: { name: string; sql: string; checksum: string }[] };
  /** The migration every upgrade leads to. */
  readonly head: string | null;
  readonly timings: { pyodideStartMs: number; bundleLoadMs: number };
  upgrade(db: Database, options?: UpgradeOptions): Promise<UpgradeResult>;
  status(db: Database, options?: CallOptions): Promise<Status>;
  check(db: Database, options?: CallOptions): Promise<CheckResult>;
  tables(db: Database, options?: CallOptions): Promise<TableContents[]>;
  /** The target schema, validated by mizzle's model in Pyodide (needs `mizzle bundle --with-model`). */
  schema(): Promise<Record<string, unknown>>;
}

export function loadMizzle(options?: LoadOptions): Promise<Mizzle>;

/** A database image kept in IndexedDB (for sql.js), replaced in one transaction. */
export function idbImage(
  databaseName: string,
  key?: string,
): { load(): Promise<Uint8Array | null>; save(bytes: Uint8Array): Promise<void> };
