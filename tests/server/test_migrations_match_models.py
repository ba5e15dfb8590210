from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from server.config import Config
from server.db import Base, make_engine


def test_models_and_migrations_agree(migrated: Config) -> None:
    engine = make_engine(migrated.database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()
