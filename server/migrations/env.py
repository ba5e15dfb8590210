"""Alembic environment: runs on the connection server.db.migrate hands over, or on the URL."""

from alembic import context
from sqlalchemy import Connection, create_engine, pool

import server.models  # noqa: F401  (registers every table on Base.metadata)
from server.config import Config
from server.db import Base

config = context.config
target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_with(connection)
else:
    url = config.get_main_option("sqlalchemy.url") or Config.from_env().database_url
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        run_with(conn)
