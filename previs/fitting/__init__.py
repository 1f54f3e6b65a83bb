"""Costume fittings: the request, the built-in mannequin figures and their region masks, the fitting board."""
