"""The schema DSL, as schema modules import it: `from mizzle.dsl import Table, serial, text, ...`.

See `mizzle.sources.dsl` for the whole language, with examples. This module only gives it a
short public name; the names it exports are `mizzle.sources.dsl.__all__`.
"""

from mizzle.sources.dsl import *  # noqa: F403
from mizzle.sources.dsl import __all__ as __all__
