"""The likeness gate's reading of text: the canonical form, the disguises it sees through, what it leaves alone.

Issue #16: every disguise below stored a frame with no grant. They must all name "Zoë Okafor" (alias "Zoe O"),
while a few hundred ordinary set-design prompts, built from the shipped templates and the test scripts, name
none of a cast of performers with common names.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import name_matching
from previs.consent.canonical import (
    RULE_ALIAS,
    RULE_FIRST_AND_SURNAME,
    RULE_IDENTIFYING,
    RULE_NAME,
    RULE_SURNAME,
    NameText,
    PerformerNames,
    canonical,
    distinctive,
    name_keys,
    performer_names,
    refers_to,
)
from previs.prompts import CostumeDetails, load_library
from previs.scenes import Scene, breakdown_shots, parse_description, parse_fountain

SCRIPTS = sorted((Path(__file__).parent / "data" / "scripts").glob("*.fountain"))
ZOE = performer_names("Zoë Okafor", ("Zoe O",))


@pytest.mark.parametrize(("text", "expected"), [
    ("Zoë Okafor", "zoe okafor"),
    ("Zo\ufe0fë Oka\ufe0ffor", "zoe okafor"),  # variation selector
    ("Zo\u034fë\u00ad Oka\u200b\u200c\u200dfor\u2060\ufeff", "zoe okafor"),  # CGJ, soft hyphen, zero-widths, BOM
    ("Zo&euml; &#79;kafor &amp;euml;", "zoe okafor e"),  # entities, a double-escaped one too
    ("Zоë Оkаfor", "zoe okafor"),  # Cyrillic о О а
    ("ᴢᴏᴇ ᴏᴋᴀꜰᴏʀ", "zoe okafor"),  # small capitals
    ("Ｚｏｅ 𝐎𝐤𝐚𝐟𝐨𝐫 ⓩ", "zoe okafor z"),  # fullwidth, mathematical bold, circled
    ("ﬁne Straße, Łódź, Ørsted", "fine strasse, lodz, orsted"),  # ligature, ß, letters without decomposition
    ("Z̷̢̛o̸̡e̵ \u202eOkafor\u202c", "zoe okafor"),  # stacked combining marks, a bidi override
    ("Zoë_Okafor, Okafor2!", "zoe_okafor, okafor2!"),  # separators stay: the word keys decide what they mean
    ("a plain ASCII prompt: 3 chairs & a lamp", "a plain ascii prompt: 3 chairs & a lamp"),
])
def test_canonical_form(text: str, expected: str) -> None:
    assert canonical(text) == expected


def test_ordinary_latin_text_only_changes_case() -> None:
    """TR39 draws "m" like "rn" and "l" like "I"; folding those would garble prompts, so ASCII is only lowered."""
    text = "Modern Illustration of a Hall, 1940s, rn-ward"
    assert canonical(text) == text.lower()


def test_name_keys_cut_at_separators_and_rejoin_spelled_letters() -> None:
    keys = name_keys("Zoë_Okafor2 by Z o e  O k a f o r, Z.o.e. and Z0e")
    assert {"zoe", "okafor", "by", "and", "zoeokafor", "o", "k"} <= keys  # pairs glued: "zoeokafor"
    assert "zoe" in name_keys("Z.o.e.") and "zoe" in name_keys("Z0e")


# --- The disguises: each one names her ------------------------------------------------------------------
DISGUISES = [
    "Zo\ufe0fë Oka\ufe0ffor", "Zo\u034fë Oka\u034ffor", "Zo\u200bë Oka\u200bfor", "Zo\u200cë Oka\u200cfor",
    "Zo\u200dë Oka\u200dfor", "Zo\u2060ë Oka\u2060for", "Zo\u00adë Oka\u00adfor", "Zo\ufeffë Oka\ufefffor",
    "Zo\u180bë Oka\U000E0041for", "Zo\u3164ë Okafor",  # Mongolian selector, a tag character, Hangul filler
    "Zoë_Okafor", "ZoëOkafor", "Zoë Okafor2", "Okafor, Zoë", "Okafor Zoë", "OkaforZoe", "#ZoeOkafor",
    "Z o e  O k a f o r", "Z.o.e. O.k.a.f.o.r.", "Z-o-e O-k-a-f-o-r", "Z.o.e. O", "Zo&euml; Okafor",
    "Zo&#235; Okafor", "Zo&#xEB; Okafor", "Zo&amp;euml; Okafor", "Zоë Оkаfor", "Ζοë Οkafor", "ᴢᴏᴇ ᴏᴋᴀꜰᴏʀ",
    "Zoe_O", "Zoe O.", "ＺＯＥ ＯＫＡＦＯＲ", "𝐙𝐨𝐞 𝐎𝐤𝐚𝐟𝐨𝐫", "𝔷𝔬𝔢 𝔬𝔨𝔞𝔣𝔬𝔯", "ℤ𝕠𝕖 𝕆𝕜𝕒𝕗𝕠𝕣", "ⓩⓞⓔ ⓞⓚⓐⓕⓞⓡ",
    "🇿🇴🇪 🇴🇰🇦🇫🇴🇷", "Z̷̢̛o̸̡e̵̛ O̶̧k̷a̴f̸o̵r̷", "Zoe\u0308 Oka\u0301for", "\u202eZoë Okafor\u202c",
    "\u2066Zoë\u2069 Okafor", "Zoë-Okafor", "Zoë Okafor's costume", "Okafor's coat", "the Okafors' flat",
    "ZOË OKAFOR", "Z0e 0kafor", "Z0ë Ok4f0r", "Zoe Ok@for", "Zoëëë Okaforrr", "Zooooe Okafor", "Zoë Oka for",
    "Zoë\nOkafor", "Zoë\tOkafor", "Okafor", "Zoë 'the actress' Okafor", "Zoë🙂Okafor", "Zoë·Okafor",
    "zoe.okafor@example.com", "Zо\u200bë Оk\u0336afor",  # mixed: Cyrillic, zero-width, combining overlay
    "Z\u0131o\u0308e\u0323 Okafor", "portrait of zoe okafor, film still, 35mm",
]


@pytest.mark.parametrize("text", DISGUISES, ids=[ascii(text)[1:-1][:40] for text in DISGUISES])
def test_every_disguise_names_her(text: str) -> None:
    prompt = f"a costume fitting on a bare stage, {text}, soft light"
    found = ZOE.mention_in(NameText.of(prompt))
    assert found is not None, canonical(prompt)
    assert ZOE.keys & name_keys(prompt)  # an index over the keys would have fetched her as a candidate


def test_the_same_tricks_in_a_costume_a_screenplay_and_a_description() -> None:
    library = load_library()
    costume = library.render("costume", costume=CostumeDetails("a belted trench coat", character="Zo\u200bë_Okafor"))
    script = parse_fountain(
        "INT. LOFT - NIGHT\n\nZo\ufe0fë Oka\ufe0ffor paces by the window.\n\nＯＫＡＦＯＲ\nWho's there?\n"
    )
    shot = next(shot for shot in breakdown_shots(script.scenes[0]) if shot.characters)  # who is in frame
    storyboard = library.render("storyboard", scene=script.scenes[0], shot=shot)
    described = library.render("set", description="A loft where Okafor, Zoë sleeps")
    for prompt in (costume.prompt, storyboard.prompt, described.prompt):
        assert ZOE.mention_in(NameText.of(prompt)) is not None, prompt


# --- The rules -------------------------------------------------------------------------------------------
def test_each_rule_reports_itself() -> None:
    performer = PerformerNames("Zoë Adaeze Okafor", aliases=["Zoe O"], identifying=["Starling", "Kafi the Bold"])
    cases = {
        "Adaeze Okafor Zoë on set": (RULE_NAME, "Zoë Adaeze Okafor"),
        "meet zoe o": (RULE_ALIAS, "Zoe O"),
        "the starling enters": (RULE_IDENTIFYING, "Starling"),
        "Kafi the Bold in armour": (RULE_IDENTIFYING, "Kafi the Bold"),
        "Zoë Adaeze, lit from above": (RULE_FIRST_AND_SURNAME, "zoe adaeze"),
        "Okafor in the rain": (RULE_SURNAME, "okafor"),
    }
    for text, (rule, label) in cases.items():
        found = performer.mention_in(NameText.of(text))
        assert found is not None and (found.rule, found.label) == (rule, label), text
        assert found.describe() == f"{rule}: {label!r}"
    assert performer.mention_in(NameText.of("Adaeze walks in, a kafi bold")) is None  # a middle name alone


def test_common_surnames_do_not_name_anyone_alone() -> None:
    assert [word for word in ("lee", "young", "stone", "smith", "zoe", "ann") if distinctive(word)] == []
    assert distinctive("okafor") and distinctive("baptiste")
    for name, alone in (("Ann Lee", "Lee"), ("John Young", "young"), ("Emma Stone", "a stone wall")):
        assert refers_to(f"a set with {alone}", name) is None
        assert refers_to(f"a set with {name}", name) is not None
    assert refers_to("Lee, Ann on set", "Ann Lee") is not None  # reversed, but next to each other
    assert refers_to("Ann walks by the Lee house", "Ann Lee") is None  # common words apart: ordinary text
    assert refers_to("Zoë Lee in a red coat", "Zoë Adaeze Lee") is not None  # first name and surname, in order
    assert refers_to("Lee Zoë", "Zoë Adaeze Lee") is None


@pytest.mark.parametrize(("text", "name"), [
    ("the annex behind the chapel", "Ann Lee"), ("a baptistery with a marble font", "Jean Baptiste"),
    ("Annex", "Ann"), ("a zoetrope on the desk", "Zoë Okafor"), ("an okapi in the zoo", "Zoë Okafor"),
    ("the blacksmith will work late", "Will Smith"), ("dex grips the wheel", "Maya Dexter"),
])
def test_innocent_look_alikes_stay_allowed(text: str, name: str) -> None:
    assert refers_to(text, name) is None


# --- The false-positive rate on ordinary prompts ---------------------------------------------------------
CAST = [performer_names(name, aliases) for name, aliases in (
    ("Zoë Okafor", ("Zoe O",)), ("Ann Lee", ()), ("Jean Baptiste", ()), ("Rose Stone", ()), ("John Young", ()),
    ("Mark Baker", ()), ("Grace Hall", ()), ("Will Smith", ()), ("Mary Jane Watson", ("MJ",)), ("Daisy Field", ()),
    ("Amber Wood", ()), ("Robin Banks", ()), ("Holly Hill", ()), ("Maya Dexter", ()), ("Marek Nowak", ()),
    ("Dawn Rivers", ()), ("Sam Harbour", ()), ("Jo March", ()), ("Frank Church", ()), ("Summer Lake", ()),
)]
SET_DESCRIPTIONS = [
    "A Victorian annex behind a baptistery, moss on the stone steps.", "A young orchard at dawn, mist over the lake.",
    "Rose garden with a stone fountain and a wooden bench.", "A baker's shop at night, flour on the counter.",
    "A grand hall with a sweeping staircase and grace notes on a music stand.", "A smithy with an anvil and bellows.",
    "A field of daisies beside a river bank.", "Amber light through oak panels in a study.",
    "A holly hedge on a hill above the harbour.", "A church hall set for a summer fete.",
    "A zoetrope and brass instruments on a cluttered desk.", "An okapi enclosure at a run-down zoo.",
    "A café in Zürich with crème brûlée on marble tables.", "A naïve mural in a 1940s diner, neon signs.",
    "A 4K monitor wall in a 3D animation studio.", "An R2D2 toy on a child's shelf.",
    "A frozen lake under a full moon, pine forest.", "A lee shore with wrecked boats.",
    "The stone circle at midsummer, torches burning.", "A market square in Москва with kiosks.",
    "A taverna terrace, Ελληνικό καφενείο sign, blue shutters.", "A jean jacket hanging in a laundrette.",
    "A rowing boat on the river, willow banks.", "A mark on the wall where a painting hung.",
    "A dawn raid on a warehouse, vans idling.", "A lighthouse keeper's kitchen, copper pots.",
    "A ballroom with mirrored walls and chandeliers.", "A subway platform at rush hour, tiled walls.",
    "A greenhouse full of orchids and ferns.", "A courtroom with oak benches and a high window.",
    "A ship's galley in a storm, swinging lamps.", "A library reading room, green lamps, long tables.",
    "A desert motel at noon, empty pool.", "A snowbound cabin, a wood stove, snowshoes by the door.",
    "A rooftop garden in Neo Tokyo at night, rain and neon.", "A medieval great hall, banners and a long table.",
    "A laboratory with glass tubes and a humming generator.", "A train carriage in the 1920s, velvet seats.",
    "A fishing village harbour with lobster pots.", "A theatre dressing room, bulbs around the mirror.",
]
COSTUMES = [
    CostumeDetails("a belted trench coat", "waxed cotton", "charcoal", "1940s", "MAYA"),
    CostumeDetails("a sequinned evening gown", "silk", "midnight blue", "1920s", "DEX"),
    CostumeDetails("a knitted fisherman's jumper", "wool", "cream", "1950s", "O'BRIEN"),
    CostumeDetails("a police uniform", "serge", "navy", "present day", "GUARD #2"),
    CostumeDetails("a chef's whites", "cotton drill", "white", "", "MRS. DUBOIS"),
    CostumeDetails("a rain cape", "oilskin", "yellow"),
]


def innocent_prompts() -> list[str]:
    """Set, storyboard and costume prompts from the shipped templates, filled with the test scripts' scenes."""
    library = load_library()
    scenes: list[Scene] = [scene for path in SCRIPTS for scene in parse_fountain(path.read_text()).scenes]
    styles = [style.id for style in library.styles]
    prompts = [library.render("set", scene=scene, style=style).prompt for scene in scenes for style in styles]
    prompts += [library.render("storyboard", scene=scene, shot=shot, style=style).prompt
                for scene in scenes for shot in breakdown_shots(scene) for style in styles[:2]]
    prompts += [library.render("costume", costume=costume, style=style).prompt
                for costume in COSTUMES for style in styles]
    prompts += [library.render("set", scene=parse_description(text), style=style).prompt
                for text in SET_DESCRIPTIONS for style in styles[:2]]
    return prompts


def test_no_false_positives_on_ordinary_prompts() -> None:
    prompts = innocent_prompts()
    assert len(prompts) >= 200
    flagged = [(prompt, found.describe()) for prompt in prompts
               for performer in CAST if (found := performer.mention_in(NameText.of(prompt))) is not None]
    rate = len({prompt for prompt, _ in flagged}) / len(prompts)
    print(f"false positives: {len(flagged)} of {len(prompts)} prompts x {len(CAST)} performers ({rate:.1%})")
    assert flagged == []


def test_the_benchmark_runs() -> None:
    text = name_matching.main(["--runs", "1", "--candidates", "10,20"])
    assert "| 10 " in text and "| 20 " in text
