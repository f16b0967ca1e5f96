// Starts Pyodide from this server's /pyodide/ (the npm package, never the CDN) and runs
// sqlite3 in it. In Pyodide 314 sqlite3 is part of the core runtime: no loadPackage needed.
import { here, publish } from "./harness.mjs";

const PROGRAM = `
import json, sqlite3, sys
con = sqlite3.connect(":memory:")
con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL) STRICT")
with con:
    con.execute("INSERT INTO t (v) VALUES (?)", ("hello",))
row = con.execute("SELECT v FROM t").fetchone()[0]
con.close()
json.dumps({
    "sqlite_version": sqlite3.sqlite_version,
    "python_version": sys.version.split()[0],
    "platform": sys.platform,
    "row": row,
})
`;

publish(async () => {
  // Imported here rather than at the top so that a missing package is reported as this page's
  // error instead of a module that silently never runs.
  const { loadPyodide } = await import("/pyodide/pyodide.mjs");
  const t0 = performance.now();
  const pyodide = await loadPyodide({ indexURL: here("/pyodide/") });
  const loadMs = performance.now() - t0;
  const t1 = performance.now();
  const result = JSON.parse(pyodide.runPython(PROGRAM));
  return { ...result, pyodide_version: pyodide.version, load_ms: loadMs, run_ms: performance.now() - t1 };
});
