"""Migrations upgrade empty PostgreSQL and SQLite databases and agree with the models."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from bot.models import Base
from tests.conftest import alembic_config


def diff(url: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        changes = compare_metadata(context, Base.metadata)
    engine.dispose()
    return changes


def test_postgres_migrations_match_the_models(migrated):
    assert diff(migrated) == []


def test_sqlite_upgrade_from_empty_matches_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    command.upgrade(alembic_config(url), "heads")
    assert diff(url) == []
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) >= {t.name for t in Base.metadata.sorted_tables}
    engine.dispose()


def test_downgrade_and_upgrade_again_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    config = alembic_config(url)
    command.upgrade(config, "heads")
    command.downgrade(config, "base")
    command.upgrade(config, "heads")
    assert diff(url) == []


def test_a_model_change_without_a_migration_is_detected(migrated):
    from sqlalchemy import Column, Integer, MetaData, Table

    extra = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(extra)
    Table("not_migrated", extra, Column("id", Integer, primary_key=True))
    engine = create_engine(migrated)
    with engine.connect() as conn:
        changes = compare_metadata(MigrationContext.configure(conn), extra)
    engine.dispose()
    assert any(change[0] == "add_table" and change[1].name == "not_migrated" for change in changes)
