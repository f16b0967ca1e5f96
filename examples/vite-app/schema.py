"""The notes app's schema: what `mizzle generate` turns into migrations/."""

from mizzle.dsl import Table, integer, serial, text


class Note(Table):
    id = serial().primary_key()
    body = text().not_null()
    pinned = integer().not_null().default(0)
    __sync__ = True


class Tag(Table):
    id = serial().primary_key()
    name = text().not_null()
