"""The shipped migrations form one line: revision ids are the file numbers, each revises the one before."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from airflow_ai_etl.store import migrate


def test_migrations_are_one_numbered_line() -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(migrate.__file__).with_name("migrations")))
    script = ScriptDirectory.from_config(config)
    revisions = list(reversed(list(script.walk_revisions())))
    numbers = [r.revision for r in revisions]
    assert numbers == [f"{n:04d}" for n in range(1, len(numbers) + 1)]
    assert [r.down_revision for r in revisions] == [None, *numbers[:-1]]
    assert [Path(r.path).name.split("_", 1)[0] for r in revisions] == numbers
    assert script.get_heads() == [migrate.head()] and numbers[0] == migrate.BASELINE
