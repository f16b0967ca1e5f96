"""The compiled code of a schema module, cached beside it as Python caches imported modules.

A large generated or pulled `schema.py` takes longer to compile than to run (0.2 s for 1,000
tables, 2 s for 10,000), and every command that loads the schema compiled it again. The
cache is `__pycache__/<name>.mizzle-<interpreter>.bin` beside the file: the interpreter's
bytecode magic number, a SHA-256 of the path and the exact text compiled, then the marshalled
code. A cache that does not match (the file edited, another Python, another path) is
compiled over; one that cannot be read or written is no error, only slower. Like Python's
own, it is not written where bytecode writing is off (`PYTHONDONTWRITEBYTECODE`, `-B`)."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import marshal
import os
import sys
import tempfile
from pathlib import Path
from types import CodeType


def compiled(text: str, path: Path) -> CodeType:
    """`compile(text, str(path), "exec")`, from the cache when it holds this text."""
    cache = cache_file(path)
    key = importlib.util.MAGIC_NUMBER + hashlib.sha256(f"{path}\0{text}".encode("utf-8", "surrogatepass")).digest()
    with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
        data = cache.read_bytes()
        if data.startswith(key):
            code = marshal.loads(data[len(key) :])
            if isinstance(code, CodeType):
                return code
    code = compile(text, str(path), "exec")
    if not sys.dont_write_bytecode:
        _write(cache, key + marshal.dumps(code))
    return code


def cache_file(path: Path) -> Path:
    tag = sys.implementation.cache_tag or "python"
    return path.parent / "__pycache__" / f"{path.stem}.mizzle-{tag}.bin"


def _write(cache: Path, data: bytes) -> None:
    """Whole or not at all (another command may be reading it): a temporary file renamed."""
    with contextlib.suppress(OSError):
        cache.parent.mkdir(exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=cache.parent, prefix=f".{cache.name}.")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temporary, cache)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
