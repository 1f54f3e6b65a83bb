"""The previs version, in its own leaf module so that any layer can name it without importing the public API."""

__version__ = "0.1.0"
