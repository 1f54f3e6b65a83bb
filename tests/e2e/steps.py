"""What a person does in the studio, one function per step, for the browser tests and the screenshot script.

Each step waits for what a person would wait for (the status line, the pictures) and asserts it saw it.
"""

from __future__ import annotations

from typing import Any

Page = Any  # playwright.sync_api.Page; imported lazily so collecting the tests never needs Playwright


def sign_in(page: Page, url: str, name: str, password: str) -> None:
    page.goto(url)
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("#sign-in button[type=submit]")
    page.locator("#status-line").get_by_text(f"Signed in as {name}").wait_for()


def open_tab(page: Page, key: str) -> None:
    page.click(f"#tab-{key}-button")
    page.locator(f"#tab-{key}").wait_for()


def generate_set_concept(page: Page, description: str, *, seed: int) -> None:
    """Describe a set, generate, and see the frames' pictures load in the gallery."""
    open_tab(page, "concepts")
    page.fill("#concept-prompt textarea", description)
    page.fill("#concept-seed textarea, #concept-seed input", str(seed))
    page.click("#concept-generate")
    page.locator("#concept-gallery").get_by_text(f"seed {seed}", exact=False).first.wait_for()
    first = page.locator("#concept-gallery img").first
    first.wait_for()
    loaded = first.evaluate("img => img.decode().then(() => img.naturalWidth)")
    assert loaded > 0, "the frame's picture did not load"


def choose_frame(page: Page, index: int = 0) -> int:
    """Click a frame in the gallery; it becomes the frame to vary. Returns its id."""
    page.locator("#concept-gallery img").nth(index).click()
    field = page.locator("#concept-vary-frame textarea, #concept-vary-frame input").first
    page.wait_for_function("element => element.value !== ''", arg=field.element_handle())
    return int(field.input_value())


def vary_frame(page: Page, frame: int) -> None:
    """Vary the chosen frame and see its variations arrive, each marked as a variation of it."""
    page.click("#concept-vary")
    page.locator("#concept-gallery").get_by_text(f"variation of {frame}").first.wait_for()
