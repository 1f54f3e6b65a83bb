"""Scene → a first-pass shot list: an establishing shot, then one shot per beat, in script order.

It is a starting point for the storyboard artist, not a decision. The result is deterministic, so the same
scene always gives the same frames, and the shots are plain dataclasses an editor may change and check
again with ``Shot.validate()``.

Lines spoken off screen (V.O., O.S.) get no shot of their own: nobody is there to frame. They are heard
over the shot before them (the establishing shot when they open the scene) and appear in its dialogue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from previs.errors import InvalidRequest
from previs.scenes.headings import readable
from previs.scenes.model import DialogueLine, Scene, Shot
from previs.scenes.sentences import split_sentences

DEFAULT_MAX_SHOTS = 40
"""The most shots one scene's breakdown proposes; when a scene has more beats, ``Breakdown.note`` says so."""
_EXCERPT_CHARS = 160


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# What the action mentions decides the framing; the first rule with a matching whole word wins.
_SIZE_CUES: tuple[tuple[str, frozenset[str]], ...] = (
    ("extreme close-up", _words("eye eyes pupil pupils lips fingertip fingertips trigger tear tears sweat")),
    (
        "insert",
        _words(
            "phone screen letter photo photograph note map key keys ring watch clock document file badge envelope "
            "newspaper button lock keypad monitor display wallet ticket card gun knife money cash"
        ),
    ),
    ("close-up", _words("face faces hand hands fingers smile smiles frown frowns grins stares glares")),
    ("extreme wide", _words("skyline horizon landscape valley city ocean desert vista panorama")),
    ("wide", _words("crowd everyone army chase explodes explosion traffic battle stadium")),
    ("full", _words("walks runs enters exits dances stands falls jumps climbs crosses strides sprints")),
)
_ANGLE_CUES: tuple[tuple[str, frozenset[str]], ...] = (
    ("POV", frozenset({"pov"})),
    ("overhead", frozenset({"overhead", "aerial", "bird's-eye", "top-down"})),
    ("low angle", frozenset({"towers", "looms", "looming", "towering"})),
    ("high angle", frozenset({"cowers", "cowering", "sprawled", "crumples", "collapses"})),
    ("dutch", frozenset({"dizzy", "reels", "staggers", "drunk", "drunken", "disoriented", "woozy", "lurches"})),
)


@dataclass(frozen=True)
class _Beat:
    """An action passage, or on-screen speech; ``lines`` is all that is said during it, in order.

    ``listener`` is the other on-screen speaker of an exchange when the beat is a single line, so the
    shot can be taken over their shoulder.
    """

    action: str = ""
    lines: tuple[DialogueLine, ...] = ()
    listener: str = ""
    turn: int = 0  # the line's place among the exchange's on-screen lines: coverage alternates by pairs


@dataclass(frozen=True)
class Breakdown:
    """A scene's proposed shots, and ``note``: "" or what the maximum left out (for the import report)."""

    shots: list[Shot]
    note: str = ""


def breakdown_shots(scene: Scene, *, max_shots: int = DEFAULT_MAX_SHOTS) -> list[Shot]:
    """The shots of ``breakdown(scene, max_shots=...)``."""
    return breakdown(scene, max_shots=max_shots).shots


def breakdown(scene: Scene, *, max_shots: int = DEFAULT_MAX_SHOTS) -> Breakdown:
    """Break ``scene`` into at most ``max_shots`` shots (>= 1), the first establishing the location.

    Beats are taken at the finest grain that fits: each action sentence and each on-screen line (an exchange
    between two speakers covered by over-the-shoulder shots and singles, alternating by pairs of lines) when
    they fit in ``max_shots - 1``, else each action paragraph and each exchange of dialogue between
    paragraphs. If even those are too many, beats are picked evenly from first to last so the frames span the
    scene, and the note says how many were left out. A scene with no location (the prologue) is not
    established: its first beat opens it.
    """
    if isinstance(max_shots, bool) or not isinstance(max_shots, int) or max_shots < 1:
        raise InvalidRequest(f"max_shots must be a whole number of at least 1, got {max_shots!r}")
    establish = bool(scene.location.strip())
    slots = max_shots - 1 if establish else max_shots
    heard_first, beats = _beats(scene, fine=True)
    fine_count, note = len(beats), ""
    if len(beats) > slots:
        heard_first, beats = _beats(scene, fine=False)
        spread = _spread(beats, slots)
        note = (f"scene {scene.number}: {fine_count} beats, more than the {max_shots} shots allowed; "
                f"{len(spread)} beats kept" + (f" ({len(beats) - len(spread)} left out)" if len(spread) < len(beats)
                                             else ", dialogue exchanges as one shot each")
                + "; raise the maximum (--max-shots) or add shots by hand")
        beats = spread
    if not beats:
        establish = True
    pov = "POV" in scene.heading.upper().split()
    shots = [_establishing(scene, heard_first, pov)] if establish else []
    shots += [_shot(order, beat, pov, scene) for order, beat in enumerate(beats, start=len(shots) + 1)]
    return Breakdown(shots, note)


def _beats(scene: Scene, *, fine: bool) -> tuple[tuple[DialogueLine, ...], list[_Beat]]:
    """The lines heard before any beat, and the beats: action and dialogue interleaved by ``action_before``.

    Lines whose place is unknown (None) come after all the action.
    """
    paragraphs = scene.action_paragraphs
    gaps: list[list[DialogueLine]] = [[] for _ in range(len(paragraphs) + 1)]
    for line in scene.dialogue:
        place = len(paragraphs) if line.action_before is None else min(line.action_before, len(paragraphs))
        gaps[place].append(line)
    heard_first: list[DialogueLine] = []
    beats: list[_Beat] = []

    def hear(lines: list[DialogueLine]) -> None:
        if beats:
            beats[-1] = replace(beats[-1], lines=beats[-1].lines + tuple(lines))
        else:
            heard_first.extend(lines)

    for index, gap in enumerate(gaps):
        if fine:
            on_screen = [line for line in gap if not line.off_screen]
            for position, line in enumerate(gap):
                if line.off_screen:
                    hear([line])
                else:
                    beats.append(_Beat(lines=(line,), listener=_listener(gap, position),
                                       turn=on_screen.index(line)))
        elif any(not line.off_screen for line in gap):
            beats.append(_Beat(lines=tuple(gap)))
        else:
            hear(gap)
        if index < len(paragraphs):
            text = " ".join(paragraphs[index].split())
            beats += [_Beat(action=s) for s in split_sentences(text)] if fine else [_Beat(action=text)]
    return tuple(heard_first), beats


def _listener(gap: list[DialogueLine], position: int) -> str:
    """The on-screen speaker this line answers (or, for the first line, who answers it); "" if none."""
    speaker = gap[position].character
    others = [(p, line.character) for p, line in enumerate(gap) if not line.off_screen and line.character != speaker]
    before = [name for p, name in others if p < position]
    after = [name for p, name in others if p > position]
    return (before[-1:] or after[:1] or [""])[0]


def _spread(beats: list[_Beat], slots: int) -> list[_Beat]:
    """Pick ``slots`` beats evenly spaced from the first to the last."""
    if slots >= len(beats):
        return beats
    if slots <= 1:
        return beats[:slots]
    step = (len(beats) - 1) / (slots - 1)
    return [beats[round(i * step)] for i in range(slots)]


def _establishing(scene: Scene, heard: tuple[DialogueLine, ...], pov: bool) -> Shot:
    """Wide on the location at the scene's time of day, eye level inside and high angle outside."""
    setting = {"INT": "interior", "EXT": "exterior", "INT/EXT": "interior and exterior"}.get(scene.int_ext, "")
    place = readable(scene.location) or "the location"
    details = ", ".join(part for part in (setting, scene.time_of_day.lower()) if part)
    angle = "POV" if pov else "high angle" if scene.int_ext == "EXT" else "eye level"
    description = f"Establishing shot of {place}" + (f" ({details})" if details else "")
    first = scene.action_paragraphs[:1]
    return Shot(1, description, "wide", angle, _excerpt(heard),
                characters=_named(scene, first[0]) if first else ())


def _shot(order: int, beat: _Beat, pov: bool, scene: Scene) -> Shot:
    """A shot for one beat: action is framed by what it mentions, speech on its speakers."""
    if beat.action:
        words = set(re.findall(r"[a-z][a-z'-]*", beat.action.lower()))
        size = next((size for size, cues in _SIZE_CUES if words & cues), "medium")
        angle = next((angle for angle, cues in _ANGLE_CUES if words & cues), "eye level")
        return Shot(order, beat.action, size, "POV" if pov else angle, _excerpt(beat.lines),
                    characters=_named(scene, beat.action))
    seen = [line for line in beat.lines if not line.off_screen]
    cues = tuple(dict.fromkeys(line.character for line in seen))
    speakers = [readable(name) for name in cues]
    how = f" ({seen[0].parenthetical})" if seen[0].parenthetical else ""
    characters = cues
    if len(speakers) > 1:
        names = f"{', '.join(speakers[:-1])} and {speakers[-1]}"
        description, size, angle = f"{names} in conversation", "medium", "eye level"
    elif beat.listener and (beat.turn // 2) % 2 == 0:
        description = f"Over {readable(beat.listener)}'s shoulder onto {speakers[0]}{how}"
        size, angle, characters = "medium close-up", "over the shoulder", (cues[0], beat.listener)
    elif beat.listener:
        description, size, angle = f"Close on {speakers[0]}{how}", "close-up", "eye level"
    else:
        description, size, angle = f"{speakers[0]} speaks{how}", "medium close-up", "eye level"
    return Shot(order, description, size, "POV" if pov else angle, _excerpt(beat.lines), characters=characters)


def _named(scene: Scene, text: str) -> tuple[str, ...]:
    """The scene's characters the text names (any word of the cue, whole words, any case), in scene order."""
    words = {word.lower() for word in re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", text)}
    words |= {word.removesuffix("'s").removesuffix("’s") for word in words}
    return tuple(name for name in scene.characters
                 if any(part.lower() in words for part in re.findall(r"[^\W\d_]{3,}", name)))


def _excerpt(lines: tuple[DialogueLine, ...]) -> str:
    """``Maya (V.O.): Every job starts with a lie. / Dex: Is that the place?``, cut to stay readable."""
    spoken = [
        f"{readable(line.character)}{f' ({line.extension})' if line.extension else ''}: {line.text}".strip()
        for line in lines
    ]
    text = " / ".join(spoken)
    if len(text) <= _EXCERPT_CHARS:
        return text
    return text[: _EXCERPT_CHARS - 1].rsplit(" ", 1)[0] + "…"
