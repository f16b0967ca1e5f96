"""The browser runtime: mizzle's migrator in Pyodide, upgrading SQLite databases that live in
a browser (a file in Pyodide's file system persisted to IndexedDB or OPFS, or a database
owned by sql.js or @sqlite.org/sqlite-wasm), in place, atomically, offline.

- `manifest.py` (standard library): the bundle's migrations manifest and the schema
  fingerprint `check` compares;
- `runtime.py` (standard library): what runs in Pyodide (`upgrade`, `status`, `check`);
- `bridge.py` (standard library): a `MigrationDatabase` over a JS SQLite database;
- `bundle.py` (server side): `mizzle bundle`, which writes the static folder an app serves
  (swapped in whole; wheels named by their content; an ES module package);
- `wheel.py` (server side): mizzle's pure-Python wheel for Pyodide, zipped from the running
  package (no pip, build backend, network or source tree);
- `static/`: `mizzle.js` (the JS API), its types `mizzle.d.ts`, and the demo page.

Nothing on the upgrade path imports sqlglot, pydantic or psycopg: the SQLite SQL was
rendered by `mizzle generate`; the browser only applies it.
"""
