"""Fountain screenplays → scenes, with screenplain doing the classification.

screenplain classifies each paragraph (heading, action, dialogue, transition, ...) well, but it drops notes
without a trace and is strict where real scripts are loose. So this module feeds it one paragraph at a time
(mirroring ``screenplain.parsers.fountain.parse_body``), which lets it keep each ``[[note]]`` with the
scene it sits in and mend the paragraph before screenplain sees it:

* a heading with no blank line after it (``INT. KITCHEN - NIGHT`` then action on the next line) would
  be read as a character cue or action: it is split into its own paragraph;
* ``EXT/INT.``, ``I./E.``, ``E/I`` and indented headings are not recognised: they are forced with ``.``;
* ``FADE IN:``, ``FADE OUT.``, ``FADE TO BLACK.`` and similar do not end in ``TO:`` and would be action:
  they are forced with ``>`` into transitions, as are uppercase ``... TO:`` lines inside a paragraph;
* ``. text`` (a period then a non-alphanumeric) is not a forced heading in Fountain: forced into action;
* ``= synopsis`` lines not right after a heading and ``# section`` lines mixed into a paragraph would become
  action: they are removed before classification;
* ``~lyric`` lines under a character cue are that character's dialogue (sung: a ``(singing)`` parenthetical
  is added), lyrics with no cue are action; a transition with trailing spaces is still a transition;
* a boneyard or note alone on its lines is removed with those lines, so the paragraph around it stays
  whole (screenplain leaves an empty line that splits dialogue from its cue); a note that runs over
  blank lines is joined onto one line first, so it cannot split into stray action.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from screenplain.parsers import fountain
from screenplain.richstring import parse_emphasis
from screenplain.types import Action, Dialog, DualDialog, Slug

from previs.errors import ScriptImportError
from previs.scenes.headings import is_heading, split_heading
from previs.scenes.model import DialogueLine, Scene, Screenplay


def _span_re(opener: str, closer: str) -> re.Pattern[str]:
    """Match ``opener…closer``; when the span is alone on its lines, also match those lines' ends."""
    body = rf"{re.escape(opener)}(?P<body>(?:(?!{re.escape(closer)}).)*){re.escape(closer)}"
    return re.compile(rf"(?P<lead>^[ \t]*)?{body}(?(lead)[ \t]*(?:\n|\Z))", re.MULTILINE | re.DOTALL)


_BONEYARD_RE = _span_re("/*", "*/")
_NOTE_RE = _span_re("[[", "]]")
_MULTILINE_NOTE_RE = re.compile(r"\[\[.*?\]\]", re.DOTALL)
_SKIPPED_LINE_RE = re.compile(r"^\s*(?:=(?!==)|#)")  # synopsis or section; "===" is a page break
_LYRIC_RE = re.compile(r"^\s*~\s*")
SINGING = "singing"
_LAST_SPEAKER = "@SUNG BY THE LAST SPEAKER"
PROLOGUE_NUMBER = "0"
PROLOGUE_HEADING = "PROLOGUE"
_TRANSITION_RE = re.compile(r"^\s*(?:[^a-z]+ TO:|>.*[^<\s])\s*$")
_BARE_TRANSITION_RE = re.compile(
    r"^(?:FADE (?:IN|OUT|TO BLACK|TO WHITE)|CUT TO BLACK|SMASH TO BLACK|IRIS (?:IN|OUT)|BACK TO SCENE"
    r"|INTERCUT WITH|END CREDITS|THE END)[.:]?$"
)
_FAKE_FORCED_RE = re.compile(r"^\.(?![\w.])")
_EXTENSION_RE = re.compile(r"\(([^)]*)\)|\^")
_CONTINUED = frozenset({"CONTD", "CONT", "CONTINUED", "CONTINUING"})


def parse_fountain(text: str) -> Screenplay:
    """Parse Fountain source into a Screenplay; raise ScriptImportError when it holds no scene.

    Action or dialogue before the first scene heading (a cold open) is kept as scene "0", ``PROLOGUE``, and
    said in the warnings; transitions alone there (``FADE IN:``) are not content. A scene number used twice
    (compared in upper case: ``#1A#`` and ``#1a#`` are one) is a warning, and the later scene becomes
    ``<number>-2`` (``-3`` ...), which stays the same on re-import.
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    if not text.strip():
        raise ScriptImportError(
            "The screenplay is empty. Paste or upload the script as Fountain text "
            "(scene headings like 'INT. KITCHEN - NIGHT', then action and dialogue)."
        )
    text = _BONEYARD_RE.sub("", text)
    lines = _MULTILINE_NOTE_RE.sub(lambda note: note.group().replace("\n", " "), text).split("\n")
    title_lines = list(itertools.takewhile(bool, lines))
    title_page = fountain.parse_title_page(title_lines)
    body = lines[len(title_lines) :] if title_page else lines
    paragraphs, notes = _classify(body)
    scenes, warnings = _build_scenes(paragraphs, notes)
    if not scenes:
        raise ScriptImportError(
            "No scene headings were found, so there are no scenes to import. Start each scene with a "
            "heading on its own line, such as 'INT. KITCHEN - NIGHT' or 'EXT. ROOFTOP - DAY' (INT./EXT. "
            "and I/E work too), or force one with a leading period: '.SNIPER SCOPE POV'."
        )
    title = " ".join(_plain(_NOTE_RE.sub("", line)) for line in (title_page or {}).get("Title", []))
    return Screenplay(title=" ".join(title.split()), scenes=scenes, warnings=warnings)


def _classify(lines: list[str]) -> tuple[list[object], dict[int, list[str]]]:
    """Run screenplain over each mended paragraph; notes are keyed by the index of the heading above them."""
    paragraphs: list[object] = []
    notes: dict[int, list[str]] = defaultdict(list)
    headings = 0
    for blank, group in itertools.groupby(lines, _is_blank):
        if blank:
            continue
        chunk = "\n".join(group)
        found = [match["body"] for match in _NOTE_RE.finditer(chunk)]
        for part in _mend(_NOTE_RE.sub("", chunk)):
            before = len(paragraphs)
            fountain.InputParagraph(part).update_list(paragraphs)
            if len(paragraphs) > before and isinstance(paragraphs[-1], Slug):
                headings += 1
        notes[headings - 1].extend(" ".join(note.split()) for note in found)
    return paragraphs, notes


def _is_blank(line: str) -> bool:
    """Whitespace-only lines separate paragraphs, except Fountain's deliberate two-space line."""
    return not line.strip() and line != "  "


def _mend(chunk: str) -> Iterator[list[str]]:
    """Yield the paragraph(s) screenplain should see for one blank-line-separated chunk of source."""
    groups: list[list[str]] = [[]]
    lines = _lyrics([line for line in chunk.strip("\n").split("\n") if not _SKIPPED_LINE_RE.match(line)])
    for index, line in enumerate(lines):
        if _stands_alone(line, first=index == 0):
            groups += [[line], []]
        else:
            groups[-1].append(line)
    for group in groups:
        if group:
            yield [_forced(group[0])] if len(group) == 1 else group


def _lyrics(lines: list[str]) -> list[str]:
    """``~`` lines without the mark: sung dialogue (``(singing)`` before each run) of the cue above them, or,
    with no cue, of the scene's last speaker (``_LAST_SPEAKER`` stands in until the scene is built)."""
    if not any(_LYRIC_RE.match(line) for line in lines):
        return lines
    cue = lines[0]
    if _LYRIC_RE.match(cue) or len(lines) == 1 or not _is_cue(cue):
        cue, lines = _LAST_SPEAKER, [cue, *lines]
    out = [cue]
    for line in lines[1:]:
        if _LYRIC_RE.match(line):
            if not _LYRIC_RE.match(out[-1]) and not out[-1].strip().startswith("("):
                out.append(f"({SINGING})")
            out.append(line)
        else:
            out.append(line)
    return [_LYRIC_RE.sub("", line).removesuffix("~") for line in out]


def _is_cue(line: str) -> bool:
    """A character cue: an uppercase name (``@`` forces one), extensions aside; not a heading or transition."""
    stripped = line.strip()
    if stripped.startswith("@"):
        return True
    name = _EXTENSION_RE.sub("", stripped).strip()
    return name.isupper() and not is_heading(stripped) and not _TRANSITION_RE.match(stripped)


def _stands_alone(line: str, *, first: bool) -> bool:
    """Headings and transitions are paragraphs of their own even when the writer left out the blank line.

    Inside a paragraph only uppercase lines qualify, so dialogue such as "Int. is short for interior." stays.
    """
    if line.isupper():
        stripped = line.strip()
        transition = _TRANSITION_RE.match(stripped) or _BARE_TRANSITION_RE.match(stripped)
        return is_heading(stripped) or bool(transition)
    return first and is_heading(line, forced=False)


def _forced(line: str) -> str:
    """Rewrite a one-line paragraph with Fountain's forcing marks where screenplain would misread it."""
    stripped = line.strip()
    if is_heading(stripped):
        return stripped if stripped.startswith(".") else f".{stripped}"
    if _BARE_TRANSITION_RE.match(stripped) or _TRANSITION_RE.match(stripped):
        return f">{stripped.lstrip('>').strip()}"
    if _FAKE_FORCED_RE.match(stripped):
        return f"!{stripped}"
    return line


@dataclass
class _Draft:
    """A scene being collected from screenplain's paragraphs."""

    number: str | None
    heading: str
    action: list[str] = field(default_factory=list)
    dialogue: list[DialogueLine] = field(default_factory=list)


def _build_scenes(
    paragraphs: Iterable[object], notes: dict[int, list[str]]
) -> tuple[tuple[Scene, ...], tuple[str, ...]]:
    """Group paragraphs under their headings; transitions, centred text and page breaks are not content.

    What comes before the first heading is collected as the prologue, kept only when it holds content.
    """
    prologue = _Draft(PROLOGUE_NUMBER, PROLOGUE_HEADING)
    drafts: list[_Draft] = [prologue]
    for paragraph in paragraphs:
        if isinstance(paragraph, Slug):
            number = str(paragraph.scene_number) if paragraph.scene_number else None
            drafts.append(_Draft(number, " ".join(str(paragraph.line).split())))
        elif isinstance(paragraph, Action) and not paragraph.centered:
            text = "\n".join(_plain(line) for line in paragraph.lines).strip()
            if text:
                drafts[-1].action.append(text)
        elif isinstance(paragraph, Dialog | DualDialog):
            pair = (paragraph.left, paragraph.right) if isinstance(paragraph, DualDialog) else (paragraph,)
            for dialog in pair:
                lines = _dialogue_lines(dialog, len(drafts[-1].action))
                if lines and lines[0].character == _LAST_SPEAKER[1:]:
                    lines = _sung_on(drafts[-1], lines)
                drafts[-1].dialogue.extend(lines)
    warnings: list[str] = []
    kept_prologue = len(drafts) > 1 and bool(prologue.action or prologue.dialogue)
    if kept_prologue:
        warnings.append(f"the text before the first scene heading is kept as scene {PROLOGUE_NUMBER} "
                        f"({PROLOGUE_HEADING})")
    scenes = _finish(drafts if kept_prologue else drafts[1:], notes, first_index=-1 if kept_prologue else 0)
    return _renumber_duplicates(scenes, warnings), tuple(warnings)


def _finish(drafts: list[_Draft], notes: dict[int, list[str]], *, first_index: int) -> list[Scene]:
    """Number the scenes, split their headings and freeze them; ``first_index`` is the first draft's notes key."""
    scenes: list[Scene] = []
    last_number = 0
    previous_time = ""
    for index, draft in enumerate(drafts, start=first_index):
        if index == -1:
            scenes.append(Scene(PROLOGUE_NUMBER, PROLOGUE_HEADING, "", "", "", "\n\n".join(draft.action),
                                tuple(dict.fromkeys(line.character for line in draft.dialogue)),
                                tuple(notes.get(index, ())), tuple(draft.dialogue)))
            continue
        number = draft.number or str(last_number + 1)
        digits = re.search(r"\d+", number)
        last_number = int(digits.group()) if digits else last_number
        int_ext, location, time_of_day = split_heading(draft.heading, previous_time)
        previous_time = time_of_day
        scenes.append(
            Scene(
                number=number,
                heading=draft.heading,
                int_ext=int_ext,
                location=location,
                time_of_day=time_of_day,
                action="\n\n".join(draft.action),
                characters=tuple(dict.fromkeys(line.character for line in draft.dialogue)),
                notes=tuple(notes.get(index, ())),
                dialogue=tuple(draft.dialogue),
            )
        )
    return scenes


def _renumber_duplicates(scenes: list[Scene], warnings: list[str]) -> tuple[Scene, ...]:
    """Storage updates scenes by number on re-import, so a number used again is made unique and reported."""
    first: dict[str, int] = {}
    taken = {scene.number for scene in scenes}
    out: list[Scene] = []
    for position, scene in enumerate(scenes, start=1):
        if scene.number not in first:
            first[scene.number] = position
            out.append(scene)
            continue
        copy = 2
        while f"{scene.number}-{copy}" in taken:
            copy += 1
        number = f"{scene.number}-{copy}"
        taken.add(number)
        earlier = scenes[first[scene.number] - 1]
        warnings.append(
            f"scene number {scene.number!r} is used twice: by scene {first[scene.number]} of the script "
            f"({earlier.heading!r}) and by scene {position} ({scene.heading!r}); the second is imported as "
            f"{number!r}; to choose another, end its heading with it, e.g. '{scene.heading} #{scene.number}B#'"
        )
        out.append(dataclasses.replace(scene, number=number))
    return tuple(out)


def _sung_on(draft: _Draft, lines: list[DialogueLine]) -> list[DialogueLine]:
    """Lyrics with no cue: sung by the scene's last speaker; before anyone speaks they are action."""
    if not draft.dialogue:
        draft.action.append(" ".join(line.text for line in lines))
        return []
    last = draft.dialogue[-1]
    return [dataclasses.replace(line, character=last.character, extension=last.extension) for line in lines]


def _dialogue_lines(dialog: Dialog, action_before: int) -> list[DialogueLine]:
    """One DialogueLine per run of speech; a parenthetical belongs to the speech after it."""
    cue = _plain(dialog.character)
    character = " ".join(_EXTENSION_RE.sub(" ", cue).split())
    extension = " ".join(
        found.strip()
        for found in _EXTENSION_RE.findall(cue)
        if found.strip() and re.sub(r"[^A-Z]", "", found.upper()) not in _CONTINUED
    )
    line = functools.partial(DialogueLine, character, extension=extension, action_before=action_before)
    lines: list[DialogueLine] = []
    parenthetical: list[str] = []
    speech: list[str] = []
    for is_parenthetical, rich in dialog.blocks:
        text = _plain(rich)
        if is_parenthetical and speech:
            lines.append(line(" ".join(speech), _unwrap(parenthetical)))
            parenthetical, speech = [], []
        if text:
            (parenthetical if is_parenthetical else speech).append(text)
    if speech or parenthetical:
        lines.append(line(" ".join(speech), _unwrap(parenthetical)))
    return lines


def _unwrap(parts: list[str]) -> str:
    """``["(quietly,", "to himself)"]`` → ``quietly, to himself``."""
    return " ".join(parts).strip().removeprefix("(").removesuffix(")").strip()


def _plain(value: object) -> str:
    """Text without Fountain emphasis marks; screenplain's RichString prints as plain text."""
    return str(parse_emphasis(value) if isinstance(value, str) else value).strip()
