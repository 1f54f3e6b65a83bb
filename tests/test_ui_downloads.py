"""Downloads say what they are (#22 item 9) and a typed project name never becomes a path."""

from __future__ import annotations

from previs.ui.downloads import storyboard_pdf_name


def test_a_storyboard_pdf_is_named_by_project_and_scene() -> None:
    assert storyboard_pdf_name("harbour", ["3"]) == "harbour-scene3-storyboard.pdf"
    assert storyboard_pdf_name("harbour", ["1", "2A"]) == "harbour-scenes1-2A-storyboard.pdf"
    assert storyboard_pdf_name("harbour", []) == "harbour-storyboard.pdf"


def test_separators_in_a_project_name_do_not_reach_the_file_name() -> None:
    name = storyboard_pdf_name("../etc/pass wd", ["1/2"])
    assert "/" not in name and not name.startswith(".") and name.endswith("-storyboard.pdf")
