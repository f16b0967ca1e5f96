"""Sync tables: the names their columns, triggers and support tables use (`names`, standard
library only), the parts a sync table must hold (`parts`), and the dialect-neutral sync API
(`api`: `changes_since`, `apply_remote`, `set_device`) over the small protocol each dialect
implements (`database`), with values in a neutral wire form (`wire`). The public entry point
is `mizzle.sync`."""
