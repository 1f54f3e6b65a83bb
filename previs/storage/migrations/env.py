"""Alembic environment: runs on the connection previs hands over (see ``previs.storage.database.migrate``)."""

from alembic import context

from previs.storage.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
