"""Capture a screenshot of the sign-in page and of every tab into docs/screenshots/ (one PNG per tab key).

Usage: .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Runs the real app (offline model, a throw-away data directory and user) and Debian's Chromium through Playwright,
the same way the browser tests do; it makes one set concept first so the pictures show a filled gallery.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from previs.ui.tabs import TABS  # noqa: E402  (after the path is set)
from tests.e2e import steps  # noqa: E402
from tests.e2e.harness import browser_unavailable, chromium_page, running_app  # noqa: E402

USER, PASSWORD = "screenshots", "screenshots only"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    out: Path = parser.parse_args().out
    if reason := browser_unavailable():
        print(f"cannot take screenshots: {reason}", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="previs-screenshots-") as home, \
            running_app(Path(home), users={USER: (PASSWORD, "admin")}) as app, chromium_page() as page:
        page.goto(app.url)
        page.screenshot(path=out / "sign-in.png")
        steps.sign_in(page, app.url, USER, PASSWORD)
        steps.generate_set_concept(page, "abandoned observatory at dusk, dust in the light shafts", seed=7)
        for tab in TABS:
            steps.open_tab(page, tab.key)
            if tab.key == "review":  # opening the tab shows the queue: wait for the frames made above
                page.locator("#review-queue img").first.wait_for()
            page.screenshot(path=out / f"{tab.key}.png", full_page=True)
            print(out / f"{tab.key}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
