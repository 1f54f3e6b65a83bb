"""previs: virtual production previsualisation with consent and provenance built in."""

from previs.version import __version__

__all__ = ["__version__"]
