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


def sign_out(page: Page) -> None:
    """Log out; the sign-in form comes back."""
    page.click("#logout")
    page.locator("#sign-in").wait_for()


def _wait_for_text(page: Page, elem_id: str, text: str) -> str:
    """Wait until the text box ``elem_id`` holds ``text``; return what it holds."""
    field = page.locator(f"#{elem_id} textarea, #{elem_id} input").first
    page.wait_for_function("([element, text]) => element.value.includes(text)", arg=[field.element_handle(), text])
    return field.input_value()


def approve(page: Page, frame: int) -> None:
    """In the Review tab, find the frame in the queue (shown on opening the tab), open it, approve it, and see
    the decision recorded."""
    open_tab(page, "review")
    page.locator("#review-queue").get_by_text(f"frame {frame} ·").click()
    _wait_for_text(page, "review-frame", str(frame))
    page.locator("#review-image img").wait_for()
    page.locator("#review-status").get_by_text("Approve", exact=True).click()
    page.click("#review-submit")
    _wait_for_text(page, "review-result", f"Frame {frame}: approved by")
    page.locator("#review-history").get_by_text("approved").first.wait_for()


def frame_picture(page: Page, frame: int) -> bytes:
    """The frame's file as the Review tab shows it (what a person saves with "Save image as")."""
    open_tab(page, "review")
    page.fill("#review-frame textarea, #review-frame input", str(frame))
    page.click("#review-open")
    page.locator("#review-details").get_by_text(f"{frame}").first.wait_for()
    source = page.locator("#review-image img").evaluate("img => img.src")
    response = page.request.get(source)
    assert response.ok, f"the frame's picture did not download ({response.status})"
    return response.body()


def verify(page: Page, frame: int) -> None:
    """Save the frame's picture, drop it on the Provenance tab, and see it verified as the studio's."""
    picture = frame_picture(page, frame)
    open_tab(page, "provenance")
    page.locator("#provenance-file input[type=file]").set_input_files(
        files=[{"name": f"frame-{frame}.png", "mimeType": "image/png", "buffer": picture}])
    verdict = _wait_for_text(page, "provenance-status", ":")
    assert verdict.startswith("verified"), f"the frame did not verify: {verdict}"
