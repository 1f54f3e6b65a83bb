"""previs: virtual production previsualisation with consent and provenance built in."""

__version__ = "0.1.0"
