// The contract between a test page and tests/browser/harness.py: a page calls publish(run) once;
// when run() settles, window.__mizzleTest holds {ok: true, ms, ...run's result} or
// {ok: false, ms, error}. The Python side polls for it, so a page never has to be "ready" early.
export function publish(run) {
  const t0 = performance.now();
  Promise.resolve()
    .then(run)
    .then(
      (value) => ({ ok: true, ms: performance.now() - t0, ...value }),
      (err) => ({ ok: false, ms: performance.now() - t0, error: String(err?.stack ?? err) }),
    )
    .then((result) => {
      window.__mizzleTest = result;
      const log = document.getElementById("log");
      if (log) log.textContent = JSON.stringify(result, null, 1);
    });
}

// Absolute URL of a path on this server: Pyodide resolves some of its URLs against its own
// script rather than the page (a relative lockFileURL fails with "Invalid base URL").
export function here(path) {
  return new URL(path, location.href).href;
}
