from __future__ import annotations

import os
from pathlib import Path

import pytest

from mizzle.app.config import ConfigNotFound, expand, load_config
from mizzle.core.errors import ConfigError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "MZ_HOST", "MZ_DB"):
        monkeypatch.delenv(name, raising=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_mizzle_toml_is_found_in_a_parent_directory_and_paths_are_relative_to_it(tmp_path: Path) -> None:
    write(tmp_path / "mizzle.toml", 'schema = "db/schema.py"\nout = "mig"\n')
    (tmp_path / "a" / "b").mkdir(parents=True)
    config = load_config(start=tmp_path / "a" / "b")
    assert (config.path, config.schema, config.out) == (
        tmp_path / "mizzle.toml",
        tmp_path / "db" / "schema.py",
        tmp_path / "mig",
    )


def test_defaults_are_migrations_and_both_dialects_postgresql_first(tmp_path: Path) -> None:
    write(tmp_path / "mizzle.toml", "")
    config = load_config(start=tmp_path)
    assert (config.schema, config.out, config.dialects) == (None, tmp_path / "migrations", ("postgresql", "sqlite"))


def test_pyproject_tool_mizzle_table_is_a_config(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.mizzle]\nschema = "schema.sql"\n')
    assert load_config(start=tmp_path).schema == tmp_path / "schema.sql"


def test_pyproject_without_tool_mizzle_is_passed_over_for_a_parent_config(tmp_path: Path) -> None:
    write(tmp_path / "mizzle.toml", 'schema = "top.py"\n')
    write(tmp_path / "sub" / "pyproject.toml", '[project]\nname = "x"\n')
    assert load_config(start=tmp_path / "sub").schema == tmp_path / "top.py"


def test_mizzle_toml_wins_over_pyproject_in_the_same_directory(tmp_path: Path) -> None:
    write(tmp_path / "mizzle.toml", 'schema = "a.py"\n')
    write(tmp_path / "pyproject.toml", '[tool.mizzle]\nschema = "b.py"\n')
    assert load_config(start=tmp_path).schema == tmp_path / "a.py"


def test_explicit_config_path_is_read_even_outside_the_search(tmp_path: Path) -> None:
    path = write(tmp_path / "conf" / "other.toml", 'dialects = ["sqlite"]\n')
    assert load_config(start=tmp_path / "nowhere", config_path=path).dialects == ("sqlite",)


def test_missing_config_says_what_to_create(tmp_path: Path) -> None:
    with pytest.raises(ConfigNotFound, match=r"no mizzle\.toml found in .*create one with schema = \"schema\.py\""):
        load_config(start=tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('schema = "s.py"\ntables = 3\n', r"unknown key 'tables' in .*mizzle\.toml"),
        ('[db]\nurl = "sqlite:///x.db"\nuser = "me"\n', r"unknown key 'db\.user' in .*mizzle\.toml"),
        ('dialects = ["mysql"]\n', r"unknown dialect 'mysql' in dialects in .*mizzle\.toml"),
        ('dialects = ["sqlite", "sqlite"]\n', r"lists a dialect twice"),
        ("dialects = []\n", r"dialects in .*must be a non-empty list"),
        ("schema = 3\n", r"schema in .*must be a non-empty string"),
        ('schema = "schema.txt"\n', r"a schema is a \.py or \.sql file"),
        ('database_url = "a"\n[db]\nurl = "b"\n', r"sets both database_url and \[db\] url"),
        ('db = "sqlite:///x.db"\n', r"db in .*must be a table"),
        ("schema = \n", r"mizzle\.toml: invalid TOML"),
    ],
)
def test_bad_config_is_a_config_error_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path / "mizzle.toml", text)
    with pytest.raises(ConfigError, match=message):
        load_config(start=tmp_path)


def test_unknown_key_in_pyproject_names_the_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.mizzle]\nshema = 'x.py'\n")
    with pytest.raises(ConfigError, match=r"unknown key 'shema' in .*pyproject\.toml \[tool\.mizzle\]"):
        load_config(start=tmp_path)


@pytest.mark.parametrize(
    ("path_text", "message"),
    [("missing.toml", r"config file .*missing\.toml does not exist"), ("pyproject.toml", r"has no \[tool\.mizzle\]")],
)
def test_bad_explicit_config_path(tmp_path: Path, path_text: str, message: str) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    with pytest.raises(ConfigError, match=message):
        load_config(config_path=tmp_path / path_text)


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${A}", {"A": "x"}, "x"),
        ("pre-${A}-post", {"A": "x"}, "pre-x-post"),
        ("${A:-fallback}", {}, "fallback"),
        ("${A:-fallback}", {"A": ""}, "fallback"),
        ("${A:-}", {}, ""),
        ("${A}${B}", {"A": "1", "B": "2"}, "12"),
        ("$A and {A}", {"A": "x"}, "$A and {A}"),
    ],
)
def test_expand(text: str, env: dict[str, str], expected: str) -> None:
    assert expand(text, env, "here") == expected


def test_expand_of_an_unset_variable_names_it_and_where_it_is_used() -> None:
    with pytest.raises(ConfigError, match=r"db\.url in x uses \$\{MZ_DB\}, which is not set"):
        expand("${MZ_DB}", {}, "db.url in x")


def test_database_url_is_expanded_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "mizzle.toml", '[db]\nurl = "postgresql://${MZ_HOST:-localhost}/${MZ_DB}"\n')
    monkeypatch.setenv("MZ_DB", "app")
    assert load_config(start=tmp_path).database_url() == "postgresql://localhost/app"


def test_top_level_database_url_key_is_accepted(tmp_path: Path) -> None:
    write(tmp_path / "mizzle.toml", 'database_url = "sqlite:///app.db"\n')
    assert load_config(start=tmp_path).database_url() == "sqlite:///app.db"


def test_an_unset_database_variable_fails_only_when_the_url_is_needed(tmp_path: Path) -> None:
    write(tmp_path / "mizzle.toml", 'schema = "s.py"\n[db]\nurl = "${DATABASE_URL}"\n')
    config = load_config(start=tmp_path)
    assert config.schema == tmp_path / "s.py"
    with pytest.raises(ConfigError, match=r"uses \$\{DATABASE_URL\}, which is not set"):
        config.database_url()


def test_no_database_url_configured_says_what_to_add(tmp_path: Path) -> None:
    write(tmp_path / "mizzle.toml", "")
    with pytest.raises(ConfigError, match=r'sets no database URL: add \[db\] url = "\$\{DATABASE_URL\}"'):
        load_config(start=tmp_path).database_url()


def test_no_schema_configured_says_what_to_add(tmp_path: Path) -> None:
    write(tmp_path / "mizzle.toml", "")
    with pytest.raises(ConfigError, match=r'names no schema: add schema = "schema\.py"'):
        load_config(start=tmp_path).require_schema()


@pytest.mark.parametrize(
    ("dotenv", "dotenv_local", "real", "expected"),
    [
        ("DATABASE_URL=sqlite:///env.db\n", None, None, "sqlite:///env.db"),
        ("DATABASE_URL=sqlite:///env.db\n", "DATABASE_URL=sqlite:///local.db\n", None, "sqlite:///local.db"),
        (None, "DATABASE_URL=sqlite:///local.db\n", None, "sqlite:///local.db"),
        (
            "DATABASE_URL=sqlite:///env.db\n",
            "DATABASE_URL=sqlite:///local.db\n",
            "sqlite:///real.db",
            "sqlite:///real.db",
        ),
    ],
    ids=["env", "env-local-overrides-env", "env-local-alone", "real-environment-wins"],
)
def test_env_files_beside_the_config_feed_expansion(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dotenv: str | None,
    dotenv_local: str | None,
    real: str | None,
    expected: str,
) -> None:
    write(tmp_path / "mizzle.toml", '[db]\nurl = "${DATABASE_URL}"\n')
    if dotenv is not None:
        write(tmp_path / ".env", dotenv)
    if dotenv_local is not None:
        write(tmp_path / ".env.local", dotenv_local)
    if real is not None:
        monkeypatch.setenv("DATABASE_URL", real)
    assert load_config(start=tmp_path).database_url() == expected


def test_env_files_do_not_change_the_process_environment(tmp_path: Path) -> None:
    write(tmp_path / "mizzle.toml", "")
    write(tmp_path / ".env", "MZ_HOST=from-dotenv\n")
    load_config(start=tmp_path)
    assert "MZ_HOST" not in os.environ


@pytest.mark.parametrize(
    ("value", "include", "exclude"),
    [('["app_*", "!app_tmp_*"]', ("app_*",), ("app_tmp_*",)), ('"tune*"', ("tune*",), ()), ("[]", (), ())],
)
def test_tables_filter_reads_drizzle_kits_spelling(
    tmp_path: Path, value: str, include: tuple[str, ...], exclude: tuple[str, ...]
) -> None:
    write(tmp_path / "mizzle.toml", f"tables_filter = {value}\n")
    config = load_config(start=tmp_path)
    assert (config.tables_filter.include, config.tables_filter.exclude) == (include, exclude)


@pytest.mark.parametrize(
    ("value", "message"), [("3", "must be a list of table patterns"), ('["a", ""]', "an empty table pattern")]
)
def test_a_bad_tables_filter_is_a_config_error(tmp_path: Path, value: str, message: str) -> None:
    write(tmp_path / "mizzle.toml", f"tables_filter = {value}\n")
    with pytest.raises(ConfigError, match=f"tables_filter in {tmp_path / 'mizzle.toml'}.*{message}"):
        load_config(start=tmp_path)
