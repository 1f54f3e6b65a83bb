"""Storage: the only package that talks SQL. Domain code gets repositories through a ``UnitOfWork``."""

from previs.storage.database import Database, sqlite_url
from previs.storage.files import FileStore, PlacedFile
from previs.storage.repositories import UnitOfWork
from previs.storage.tables import Frame, Project

__all__ = ["Database", "FileStore", "Frame", "PlacedFile", "Project", "UnitOfWork", "sqlite_url"]
