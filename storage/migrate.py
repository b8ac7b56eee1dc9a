"""Run Alembic from code: ``upgrade_to_head(url)`` is what services and tests call at startup."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from storage.db import make_engine

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revision",
    "downgrade_to",
    "head_revision",
    "upgrade_to_head",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config() -> Config:
    """An Alembic config pointing at ``migrations/`` that does not touch logging."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["configure_logger"] = False
    return cfg


def _run(target: str | URL | Engine, action: str, revision: str) -> None:
    engine = target if isinstance(target, Engine) else make_engine(target)
    try:
        with engine.begin() as connection:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            if action == "upgrade":
                command.upgrade(cfg, revision)
            else:
                command.downgrade(cfg, revision)
    finally:
        if not isinstance(target, Engine):
            engine.dispose()


def upgrade_to_head(target: str | URL | Engine) -> None:
    """Bring the database at ``target`` (a URL or an engine) to the newest schema."""
    _run(target, "upgrade", "head")


def downgrade_to(target: str | URL | Engine, revision: str = "base") -> None:
    """Undo migrations down to ``revision`` (``base`` drops every table)."""
    _run(target, "downgrade", revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, ``None`` for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
