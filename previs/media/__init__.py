"""Leaves for pictures and files: PNG bytes and digests, upload checks, drawing helpers, fonts, the palette."""
