"""Sync tables: their columns and triggers' names (`names`, standard library only), the
parts a sync table must hold (`parts`), and the dialect-neutral sync API (`api`)."""
