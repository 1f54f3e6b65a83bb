"""Storyboard sheets: panels laid out on pages (layout.py), painted to PDF and PNG (painters.py, render.py)."""
