"""The use cases: what `generate`, `migrate`, `rollback`, `status`, `push`, `check`, `pull`,
`export` and `bundle` do, as functions that take a config and return results. They never
print: the CLI (and any other edge, such as a web UI) shows what they return."""
