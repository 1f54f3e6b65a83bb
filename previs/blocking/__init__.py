"""Blockouts: a procedural 3D layout of a shot (set, figures, camera) rendered as RGB, depth and edges."""
