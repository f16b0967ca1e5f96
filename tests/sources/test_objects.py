"""Object paths (`mizzle/sources/objects.py`): how a schema setting names a Python object."""

from __future__ import annotations

from pathlib import Path

import pytest

from mizzle.sources import ObjectPath, object_path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/p/app.models:Base.metadata", ObjectPath(Path("/p"), "app.models", "Base.metadata")),
        ("/p/src/models.py:metadata", ObjectPath(Path("/p/src"), "models", "metadata", Path("/p/src/models.py"))),
        ("/p/heroes:SQLModel.metadata", ObjectPath(Path("/p"), "heroes", "SQLModel.metadata")),
    ],
)
def test_an_object_path_names_the_folder_module_and_attribute(path: str, expected: ObjectPath) -> None:
    assert object_path(Path(path)) == expected


@pytest.mark.parametrize("path", ["/p/schema.py", "/p/schema.sql", "/p/odd:name.py", "/p/a-b:x", "/p/m:1x", "/p/m:"])
def test_files_and_malformed_paths_are_not_object_paths(path: str) -> None:
    assert object_path(Path(path)) is None
