"""Sync tables on PostgreSQL: their triggers and the support objects, as plan steps.

The sync columns and the index on last_modified_at are ordinary columns and indexes,
planned as such: adding `sync_version integer NOT NULL DEFAULT 1` and `last_modified_at
timestamptz(3) NOT NULL DEFAULT now()` to a table with rows fills every row with version 1
and the time of the migration (PostgreSQL evaluates a non-volatile DEFAULT once), which is
the backfill turning sync on needs. The runner runs every migration with tracking off, so
nothing a migration does to rows bumps a version or leaves a tombstone.
"""

from __future__ import annotations

from mizzle.core.operations import CreateSyncSupport, DisableSync, DropSyncSupport, EnableSync
from mizzle.core.sync.names import SYNC_SEQ
from mizzle.dialects.postgresql import sync_sql
from mizzle.dialects.postgresql.plan_context import Context, Planned


def enable_sync(op: EnableSync, ctx: Context) -> Planned:
    # (before, not after: an EnableSync changes no column)
    seq = ctx.table_before(op.table).column(SYNC_SEQ) is not None  # False: a rollback to the older form
    return Planned(tuple(sync_sql.trigger_statements(op.table, op.primary_key, seq=seq)))


def disable_sync(op: DisableSync, ctx: Context) -> Planned:
    return Planned(tuple(sync_sql.drop_trigger_statements(op.table)))


def create_sync_support(op: CreateSyncSupport, ctx: Context) -> Planned:
    return Planned(tuple(sync_sql.support_statements()))


def drop_sync_support(op: DropSyncSupport, ctx: Context) -> Planned:
    return Planned(tuple(sync_sql.drop_support_statements()))
