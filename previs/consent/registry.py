"""The consent registry and the gate every generation passes: no likeness without an active, specific grant.

Performers are named people; a grant says which uses of their likeness one project may make, described
specifically, from one date until another. Nothing here is edited or deleted: a revocation, an expiry and a
refused generation are events appended to the history, and they act on the past — frames that relied on a
grant that ended are withdrawn (kept for audit out of users' reach, or purged, by the studio's policy).

A prompt that names a performer (name, alias or identifying word, by the rules of ``canonical.py``, in the
typed prompt or in what any text encoder receives) is a ``likeness_reference`` use; a performer photo used for a
fitting is ``costume_fitting``. Faces count as much as names (``faces.py``): a face in an input picture or in a
generated image that matches a performer's reference photo is a use of their likeness, whatever was typed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from PIL import Image

from previs.access.permissions import Action, Actor
from previs.consent.canonical import NAME_KEYS_VERSION, Mention, NameText, performer_names, words
from previs.consent.faces import FACE_IN_INPUT, FACE_IN_OUTPUT, FaceBook, Sighting, reference_face, sightings
from previs.consent.likeness import PROMPT_USE, USES, Clearance, LikenessUse, Picture
from previs.consent.names import Registered, performer_named, registered
from previs.errors import ConsentRefused, InvalidRequest, NotFound, UploadRejected
from previs.media.faces import MATCH_DISTANCE, Face, Gallery, descriptor_bytes
from previs.media.imaging import encode_png, sha256_bytes
from previs.media.uploads import Upload
from previs.storage import Database, FileStore, UnitOfWork
from previs.storage.files import INPUTS, PlacedFile
from previs.storage.moves import carry_out_moves
from previs.storage.projects import check_project_name
from previs.storage.tables import ConsentGrant, Performer

POLICIES = ("keep", "purge")  # what happens to the files of withdrawn frames
WITHDRAWN = "consent_withdrawn"
MIN_DESCRIPTION_WORDS = 6
_NAME_KEYS_META = "name_keys_version"  # studio_meta: the NAME_KEYS_VERSION the name-word index was built with
_BOILERPLATE = re.compile(
    r"^\s*(n/?a|none|tbd|todo|test|any|all|anything|everything|as needed|see (the )?(contract|agreement)|"
    r"(for )?(any|all) (uses?|purposes?|media|projects?)( whatsoever)?|standard (release|terms))\s*[.!]*\s*$",
    re.IGNORECASE,
)


def check_uses(uses: Iterable[str]) -> list[str]:
    chosen = sorted({use.strip().lower() for use in uses})
    if not chosen:
        raise InvalidRequest(f"a grant needs at least one use: choose from {', '.join(USES)}")
    unknown = [use for use in chosen if use not in USES]
    if unknown:
        raise InvalidRequest(f"unknown use {', '.join(map(repr, unknown))}: choose from {', '.join(USES)}")
    return chosen


def check_description(description: str) -> str:
    """A grant must say specifically what the likeness will be used for (SAG-AFTRA: a 'reasonably specific
    description of the intended use'), not boilerplate."""
    text = " ".join(description.split())
    if len(words(text)) < MIN_DESCRIPTION_WORDS or _BOILERPLATE.match(text):
        raise InvalidRequest(
            "the grant's description must say specifically how the likeness will be used (at least "
            f"{MIN_DESCRIPTION_WORDS} words), e.g. 'costume fittings for the ballroom scene, previs only, not "
            f"for release'; got {description!r}"
        )
    return text


def parse_date(text: str, what: str) -> date:
    """A grant's date as people type it (YYYY-MM-DD); ``what`` names the field in the message."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidRequest(f"{what} {text!r} is not a date: use YYYY-MM-DD, e.g. 2027-03-31") from None


@dataclass(frozen=True)
class GrantInfo:
    id: int
    performer: str
    project: str
    uses: list[str]
    description: str
    valid_from: str
    valid_until: str
    granted_by: str
    created_at: str
    state: str  # active | revoked | expired | not_yet_valid
    evidence_sha256: str | None = None
    evidence_type: str | None = None

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass(frozen=True)
class PerformerInfo:
    id: int
    name: str
    aliases: list[str]
    contact: str
    agent: str
    grants: list[GrantInfo] = field(default_factory=list)
    identifying: list[str] = field(default_factory=list)
    photos: int = 0  # reference photos on record (their faces are matched by the gate)

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "grants": [grant.to_json() for grant in self.grants]}


@dataclass(frozen=True)
class EventInfo:
    id: int
    kind: str  # granted | revoked | expired | generation_refused
    grant_id: int | None
    performer: str | None
    project: str | None
    actor: str
    reason: str
    detail: dict[str, Any]
    created_at: str

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass(frozen=True)
class Withdrawal:
    """What ending a grant did: the frames it withdrew (ids) under the policy in force."""

    grant: GrantInfo
    withdrawn_frame_ids: list[int]
    policy: str

    def to_json(self) -> dict[str, Any]:
        return {"grant": self.grant.to_json(), "withdrawn_frame_ids": self.withdrawn_frame_ids,
                "policy": self.policy}


@dataclass(frozen=True)
class _Wanted:
    """One likeness use the gate must find a grant for, with the rule that found it in the text (if any)."""

    person: Registered
    use: LikenessUse
    mention: Mention | None = None
    sighting: Sighting | None = None  # the face that made it a use


def _unique_uses(uses: Iterable[_Wanted]) -> list[_Wanted]:
    """One use per performer and kind of use, the first reason given kept."""
    seen: dict[tuple[int, str], _Wanted] = {}
    for wanted in uses:
        seen.setdefault((wanted.person.id, wanted.use.use), wanted)
    return list(seen.values())


def _candidates(work: UnitOfWork, text: NameText) -> list[Registered]:
    """The performers ``text`` may name (a label with one of its keys that names them alone, or two), by name:
    found through the name-word index in one query, whatever the size of the registry."""
    return [registered(*row) for row in work.consent.performers_with_words(text.keys)]


def index_keys(name: str, aliases: Sequence[str], identifying: Sequence[str]) -> list[tuple[str, str, bool]]:
    """A performer's rows of the name-word index (``PerformerNames.index``), as ``add_performer`` stores them."""
    return [(row.label, row.key, row.alone)
            for row in performer_names(name, tuple(aliases), tuple(identifying)).index()]


def _stored_keys(person: Performer) -> list[tuple[str, str, bool]]:
    return index_keys(person.name, person.aliases, person.identifying or ())


def _labels(labels: Iterable[str]) -> list[str]:
    return sorted({" ".join(label.split()) for label in labels if label.strip()})


def _matched(work: UnitOfWork, seen: Sequence[Sighting]) -> dict[int, Registered]:
    """The registered performers the sightings' faces matched, by id."""
    ids = {sighting.performer_id for sighting in seen if sighting.performer_id is not None}
    return {person.id: person for person in (registered(*row) for row in work.consent.performers_with_ids(ids))}


def _not_theirs(sighting: Sighting, claimed: Registered, gallery: Gallery) -> bool:
    """A face in a picture said to show ``claimed`` that is not theirs: it matches someone else, or it is clearly
    a face and matches nobody (an unregistered person, or not the claimed performer's face on record)."""
    if sighting.performer_id is not None:
        return sighting.performer_id != claimed.id
    return sighting.face.clear


def _face_uses_covered(wanted: Iterable[_Wanted]) -> list[_Wanted]:
    """A face of a performer who has another use in the request is part of that use (the face in their own
    fitting photo is the fitting), so only faces of performers the request makes no other use of are added."""
    chosen = list(wanted)
    others = {one.person.id for one in chosen if one.sighting is None}
    return [one for one in chosen if one.sighting is None or one.person.id not in others]


def _found(one: _Wanted, check: str) -> dict[str, Any]:
    """What found a use, for the audit: the text rule and matched label, or the face's picture and distance."""
    if one.mention is not None:
        return {"check": "text match", "rule": one.mention.rule, "matched": one.mention.label}
    if one.sighting is not None:
        return {"check": check, "picture": one.sighting.picture, "distance": one.sighting.distance}
    return {}


def _named_reason(mention: Mention) -> str:
    """The reason a use records (frame record, audit): the label that matched and the rule that fired."""
    return f"named in the prompt as {mention.label!r} ({mention.rule})"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class ConsentRegistry:
    """Performers, grants and their history, and the gate. Thread-safe through the database."""

    def __init__(self, database: Database, evidence: FileStore, withdrawn: FileStore, frames: FileStore, *,
                 check_evidence: Callable[[Upload], tuple[bytes, str]], check_photo: Callable[[Upload], Image.Image],
                 photos: FileStore, policy: str = "keep", clock: Callable[[], datetime] | None = None):
        if policy not in POLICIES:
            raise InvalidRequest(f"consent policy {policy!r} is unknown: use one of {', '.join(POLICIES)}")
        self.database = database
        self.policy = policy
        self._evidence = evidence
        self._withdrawn = withdrawn
        self._frames = frames
        self._clock = clock or (lambda: datetime.now(UTC))
        self._expired_through: date | None = None  # the day expire_due last ran to completion
        self._sweeping = threading.Lock()
        self._check_evidence = check_evidence
        self._check_photo = check_photo
        self._photos = photos
        self._faces = FaceBook()

    def today(self) -> date:
        return self._clock().astimezone(UTC).date()

    # -- registry --------------------------------------------------------------------------------------

    def add_performer(self, name: str, *, aliases: Sequence[str] = (), identifying: Sequence[str] = (),
                      contact: str = "", agent: str = "", photos: Sequence[Upload] = (),
                      actor: Actor) -> PerformerInfo:
        """Register a performer. ``identifying`` words (stage names, nicknames) name them alone, like aliases;
        ``photos`` are reference photos of their face (one face each), matched against every picture."""
        actor.require(Action.MANAGE_CONSENT)
        faces = [self._reference(photo) for photo in photos]
        name = " ".join(name.split())
        clean_aliases = [alias for alias in _labels(aliases) if alias != name]
        clean_identifying = [word for word in _labels(identifying) if word != name and word not in clean_aliases]
        labels = [name, *clean_aliases, *clean_identifying]
        for label in labels:
            if not words(label) or len(label) > 200:
                raise InvalidRequest(f"performer name, alias or identifying word {label!r} must have letters and be "
                                     "under 200 characters")
        placed: list[PlacedFile] = []
        try:
            with self.database.unit_of_work() as work:
                clash = self._find_clash(work, labels)
                if clash:
                    raise InvalidRequest(f"{clash} is already registered: use another name or alias, or "
                                         "`previs consent list` to find the existing performer")
                row = work.consent.add_performer(
                    name=name, aliases=clean_aliases, identifying=clean_identifying or None,
                    contact=contact.strip(), agent=agent.strip(), created_by=actor.name,
                    keys=index_keys(name, clean_aliases, clean_identifying))
                self._keep_photos(work, row.id, faces, actor, placed)
                return self._performer_info(row, photos=len(faces))
        except BaseException:
            for one in placed:
                one.undo()
            raise

    def add_photo(self, name: str, photo: Upload, *, actor: Actor) -> PerformerInfo:
        """Add a reference photo of a registered performer's face (one face; not one already on record as someone
        else's): from now on that face, in any picture of any request, needs their grant."""
        actor.require(Action.MANAGE_CONSENT)
        face = self._reference(photo)
        placed: list[PlacedFile] = []
        try:
            with self.database.unit_of_work() as work:
                person = performer_named(_candidates(work, NameText.of(name)), name)
                self._keep_photos(work, person.id, [face], actor, placed)
                row = next(one for one in work.consent.performers() if one.id == person.id)
                return self._performer_info(row, photos=work.consent.photo_counts().get(person.id, 0))
        except BaseException:
            for one in placed:
                one.undo()
            raise

    def _reference(self, photo: Upload) -> tuple[bytes, Face]:
        """A reference photo checked like every upload, as PNG bytes (what is kept) and its one face."""
        image = self._check_photo(photo)
        return encode_png(image), reference_face(image, "reference photo")

    def _keep_photos(self, work: UnitOfWork, performer_id: int, faces: Sequence[tuple[bytes, Face]], actor: Actor,
                     placed: list[PlacedFile]) -> None:
        """Store reference photos (file by sha256, descriptor row) in ``work``; a face already on record as another
        performer's is refused, since the gate could not tell whose it is."""
        gallery = self._faces.gallery(work)
        for data, face in faces:
            nearest = gallery.nearest(face)
            if nearest is not None and nearest[0] != performer_id and nearest[1] < MATCH_DISTANCE:
                other = work.consent.performers_with_ids([nearest[0]])[0][1]
                raise UploadRejected(f"The reference photo's face is already on record as {other!r}'s (distance "
                                     f"{nearest[1]:.2f}); check whom it shows, or use another photo.")
            digest = sha256_bytes(data)
            if work.consent.has_photo(performer_id, digest):
                raise UploadRejected("That reference photo is already on record for this performer.")
            placed.append(self._photos.place(digest, data, suffix=".png"))
            work.consent.add_photo(performer_id=performer_id, sha256=digest, path=placed[-1].relative_path,
                                   descriptor=descriptor_bytes(face), added_by=actor.name)

    def reindex_names(self) -> int | None:
        """Rebuild the name-word index when it was built with other word keys than ``NAME_KEYS_VERSION`` (or never,
        for a database upgraded from before 0007): every performer's rows in one transaction. The number of
        performers re-indexed, or None when the index was current or the database is read-only (a snapshot is
        read as it was copied, and a read-only data directory never generates). Called by ``open_studio``."""
        if self.database.read_only is not None:
            return None
        with self.database.unit_of_work() as work:
            if work.studio.get(_NAME_KEYS_META) == NAME_KEYS_VERSION:
                return None
        # The database-wide write lock: two processes opening at once re-index one after the other.
        with self.database.unit_of_work(serialised=True) as work:
            if work.studio.get(_NAME_KEYS_META) == NAME_KEYS_VERSION:
                return None
            count = work.consent.reindex(_stored_keys)
            work.studio.put(_NAME_KEYS_META, NAME_KEYS_VERSION)
            return count

    def grant(self, performer: str, *, project: str, uses: Iterable[str], description: str, valid_until: date,
              valid_from: date | None = None, evidence: Upload | None = None, actor: Actor) -> GrantInfo:
        """Record a grant; ``evidence`` (bytes, or a front end's temporary file) is checked, then kept by sha256."""
        actor.require(Action.MANAGE_CONSENT)
        project = check_project_name(project)
        chosen = check_uses(uses)
        text = check_description(description)
        start = valid_from or self.today()
        if valid_until < start:
            raise InvalidRequest(f"valid until {valid_until} is before valid from {start}: give a later date")
        if valid_until < self.today():
            raise InvalidRequest(f"valid until {valid_until} is already past: a grant must end today or later")
        placed, evidence_type, evidence_sha256 = None, None, None
        if evidence is not None:
            data, evidence_type = self._check_evidence(evidence)
            evidence_sha256 = sha256_bytes(data)
            placed = self._evidence.place(evidence_sha256, data, suffix="")
        try:
            with self.database.unit_of_work() as work:
                person = performer_named(_candidates(work, NameText.of(performer)), performer)
                project_row = work.projects.get_or_create(project)
                row = work.consent.add_grant(
                    performer_id=person.id, project_id=project_row.id, uses=chosen, description=text,
                    evidence_sha256=evidence_sha256,
                    evidence_path=placed.relative_path if placed else None, evidence_type=evidence_type,
                    valid_from=start, valid_until=valid_until, granted_by=actor.name,
                )
                work.consent.add_event(kind="granted", grant_id=row.id, performer_id=person.id,
                                       project_id=project_row.id, actor=actor.name, reason=text,
                                       detail={"uses": chosen, "valid_until": valid_until.isoformat()})
                return self._grant_info(row, "active" if start <= self.today() else "not_yet_valid")
        except BaseException:
            if placed is not None:
                placed.undo()
            raise

    def revoke(self, grant_id: int, *, reason: str, actor: Actor) -> Withdrawal:
        actor.require(Action.MANAGE_CONSENT)
        if len(words(reason)) < 2:
            raise InvalidRequest("say why the grant is revoked (a few words), e.g. 'performer withdrew consent'")
        with self.database.unit_of_work(serialised=True) as work:  # after every frame store, before the next
            row = work.consent.grant(grant_id)
            if grant_id in work.consent.ended_grant_ids():
                raise InvalidRequest(f"grant {grant_id} has already ended ({self._state(work, row)}); nothing to "
                                     "revoke")
            work.consent.add_event(kind="revoked", grant_id=row.id, performer_id=row.performer_id,
                                   project_id=row.project_id, actor=actor.name, reason=" ".join(reason.split()))
            withdrawal = Withdrawal(self._grant_info(row, "revoked"), self._withdraw_frames(work, row), self.policy)
        self._take_out_of_reach()
        return withdrawal

    def expire_due(self) -> list[Withdrawal]:
        """Record the expiry of every grant past its end date, withdrawing its frames. Idempotent.

        Runs once per day: a grant can only come due when the date changes (none can be made already past its
        end, and grants are never edited), so later calls the same day have nothing to find. The gate itself
        never relies on this: it checks each grant's dates against today.
        """
        today = self.today()
        if self._expired_through == today or self.database.read_only is not None:
            return []  # a read-only snapshot is read as it was copied (the gate still checks every grant's dates)
        with self._sweeping:
            if self._expired_through == today:  # another thread swept while this one waited
                return []
            return self._expire(today)

    def _expire(self, today: date) -> list[Withdrawal]:
        with self.database.unit_of_work(serialised=True) as work:
            ended = work.consent.ended_grant_ids()
            results = []
            for row in work.consent.grants():
                if row.id in ended or row.valid_until >= today:
                    continue
                work.consent.add_event(kind="expired", grant_id=row.id, performer_id=row.performer_id,
                                       project_id=row.project_id, actor="previs",
                                       reason=f"valid until {row.valid_until.isoformat()}")
                results.append(Withdrawal(self._grant_info(row, "expired"), self._withdraw_frames(work, row),
                                          self.policy))
        if results:
            self._take_out_of_reach()
        self._expired_through = today
        return results

    def performers(self, *, actor: Actor) -> list[PerformerInfo]:
        actor.require(Action.MANAGE_CONSENT)
        with self.database.unit_of_work() as work:
            ended = work.consent.ended_grant_ids()
            photos = work.consent.photo_counts()
            return [
                self._performer_info(person, [self._grant_info(grant, self._state(work, grant, ended))
                                              for grant in work.consent.grants(performer_id=person.id)],
                                     photos=photos.get(person.id, 0))
                for person in work.consent.performers()
            ]

    def audit(self, *, actor: Actor) -> list[EventInfo]:
        actor.require(Action.MANAGE_CONSENT)
        with self.database.unit_of_work() as work:
            people = {person.id: person.name for person in work.consent.performers()}
            projects = {project.id: project.name for project in work.projects.all()}
            return [
                EventInfo(event.id, event.kind, event.grant_id,
                          None if event.performer_id is None else people.get(event.performer_id),
                          None if event.project_id is None else projects.get(event.project_id),
                          event.actor, event.reason, dict(event.detail), _iso(event.created_at))
                for event in work.consent.events()
            ]

    def evidence(self, grant_id: int, *, actor: Actor) -> tuple[bytes, str]:
        """The evidence document of a grant, for a producer or the studio's lawyer to read."""
        actor.require(Action.MANAGE_CONSENT)
        with self.database.unit_of_work() as work:
            row = work.consent.grant(grant_id)
            if row.evidence_path is None:
                raise NotFound(f"grant {grant_id} has no evidence document")
            return self._evidence.read(row.evidence_path), row.evidence_type or "application/octet-stream"

    # -- the gate --------------------------------------------------------------------------------------

    def clear(self, project: str, *, prompt: str, texts: Sequence[str], uses: Sequence[LikenessUse] = (),
              pictures: Sequence[Picture] = (), actor: Actor, detail: dict[str, Any] | None = None) -> Clearance:
        """The likeness uses of a request and the grants covering them, or ConsentRefused naming what is missing.

        ``prompt`` is the typed prompt and ``texts`` every other text that reaches a text encoder, as each
        encoder receives it (``EncoderTexts``: after its tokenizer's normalisation and cut); both are searched,
        so a name past the encoder's cut is refused too and never lands in a record. ``uses`` are those the
        caller knows of (a performer photo); every registered performer the texts name is added here, so no
        caller can skip the search. ``pictures`` are the request's input pictures: a face in one that matches a
        registered performer is a use of their likeness (``likeness_reference`` unless one of theirs is cleared
        already); a picture that claims a performer (a fitting photo) must show only that performer's face on
        record. One transaction of indexed queries reads the performers the request may name (``_candidates``)
        and their current grants: the gate sees one state of the registry, at a cost per request that follows
        the names and faces it matches, not the size of the registry.
        """
        today = self.today()
        text = NameText.of(prompt, *texts)
        gallery, seen = self._search(pictures)
        wrong: tuple[Sighting, Registered, dict[int, str], bool] | None = None
        with self.database.unit_of_work() as work:
            people = _candidates(work, text)
            named = [_Wanted(person, LikenessUse(person.name, PROMPT_USE, _named_reason(mention)), mention)
                     for person in people if (mention := person.names.mention_in(text)) is not None]
            callers: list[Registered] = []
            if uses or any(picture.claimed for picture in pictures):
                claims = [*(use.performer for use in uses), *(picture.claimed or "" for picture in pictures)]
                callers = _candidates(work, NameText.of(*claims))
                named = [*(_Wanted(performer_named(callers, use.performer), use) for use in uses), *named]
            matched = _matched(work, seen)
            names = {person.id: person.name for person in matched.values()}
            for sighting in seen:
                if sighting.claimed is not None and wrong is None:
                    claimed = performer_named(callers, sighting.claimed)
                    if _not_theirs(sighting, claimed, gallery):
                        wrong = (sighting, claimed, names, claimed.id in gallery.owners)
            named += [_Wanted(matched[sighting.performer_id], LikenessUse(
                matched[sighting.performer_id].name, PROMPT_USE, sighting.reason()), sighting=sighting)
                for sighting in seen if sighting.performer_id is not None]
            wanted = _unique_uses(_face_uses_covered(named))
            covering, missing = [], []
            if wanted and wrong is None:
                current = work.consent.current_grants(project, {one.person.id for one in wanted}, today)
                for one in wanted:
                    grant = next((grant for grant in current
                                  if grant.performer_id == one.person.id and one.use.use in grant.uses), None)
                    if grant is None:
                        missing.append(one)
                    else:
                        covering.append(grant.id)
        if wrong is not None:
            self._refuse_claim(project, *wrong, actor=actor, detail=detail or {})
        if missing:
            self._refuse(project, missing, actor, detail or {}, check=FACE_IN_INPUT)
        return Clearance([one.use for one in wanted], sorted(set(covering)),
                         [sighting.evidence(names) for sighting in seen],
                         tuple(sorted({one.person.id for one in wanted})))

    def clear_output(self, project: str, images: Sequence[Image.Image], clearance: Clearance, *, actor: Actor,
                     detail: dict[str, Any] | None = None) -> Clearance:
        """Before generated images are stored: a face in one that matches a registered performer needs one of
        their uses cleared for the request, or an active ``likeness_reference`` grant on the project; else
        ConsentRefused, audited (``face in output``), and nothing is stored. The clearance with the faces' uses,
        grants and evidence added. Nothing is searched while no performer has a reference photo."""
        with self.database.unit_of_work() as work:
            gallery = self._faces.gallery(work)
        if not len(gallery):
            return clearance
        seen = [sighting for number, image in enumerate(images, start=1)
                for sighting in sightings(f"generated image {number}", image, gallery)]
        cleared = set(clearance.performer_ids)
        wanted, covering, missing = [], [], []
        with self.database.unit_of_work() as work:
            matched = _matched(work, seen)
            names = {person.id: person.name for person in matched.values()}
            new = _unique_uses(_Wanted(matched[sighting.performer_id], LikenessUse(
                names[sighting.performer_id], PROMPT_USE, sighting.reason()), sighting=sighting)
                for sighting in seen if sighting.performer_id is not None and sighting.performer_id not in cleared)
            if new:
                current = work.consent.current_grants(project, {one.person.id for one in new}, self.today())
                for one in new:
                    grant = next((grant for grant in current
                                  if grant.performer_id == one.person.id and PROMPT_USE in grant.uses), None)
                    if grant is None:
                        missing.append(one)
                    else:
                        wanted.append(one)
                        covering.append(grant.id)
        if missing:
            self._refuse(project, missing, actor, detail or {}, check=FACE_IN_OUTPUT)
        return Clearance([*clearance.uses, *(one.use for one in wanted)],
                         sorted({*clearance.grant_ids, *covering}),
                         [*clearance.faces, *(sighting.evidence(names) for sighting in seen)],
                         tuple(sorted({*cleared, *(one.person.id for one in wanted)})))

    def _search(self, pictures: Sequence[Picture]) -> tuple[Gallery, list[Sighting]]:
        """The faces in the input pictures, matched. A picture is searched when some performer has a reference
        photo, or when it claims a performer (then an unregistered face is refused). No transaction is held
        while faces are found."""
        if not pictures:
            return Gallery([], []), []
        with self.database.unit_of_work() as work:
            gallery = self._faces.gallery(work)
        return gallery, [sighting for picture in pictures if picture.claimed or len(gallery)
                         for sighting in sightings(picture.title, picture.image, gallery, picture.claimed)]

    def still_active(self, work: UnitOfWork, grant_ids: Sequence[int]) -> None:
        """Re-check, inside the transaction that stores frames, that no grant ended while they were drawn."""
        if not grant_ids:
            return
        ended = work.consent.ended_among(grant_ids, self.today())
        if ended:
            raise ConsentRefused(f"consent grant(s) {', '.join(map(str, sorted(ended)))} ended while the frames "
                                 "were being generated; nothing was stored")

    # -- helpers ---------------------------------------------------------------------------------------

    def _refuse(self, project: str, missing: list[_Wanted], actor: Actor, detail: dict[str, Any], *,
                check: str) -> None:
        """Audit each missing use (performer, the check that found it: the rule and matched label, or the face's
        picture and distance), then refuse in one line. Only a user who may read the registry is told whom a
        prompt names or a picture shows: to anyone else the name (or the label that matched) would disclose who
        is registered. ``check`` is the face check that found face uses (in the input or in the output)."""
        with self.database.unit_of_work() as work:
            project_row = work.projects.find(project)
            for one in missing:
                found = _found(one, check)
                work.consent.add_event(
                    kind="generation_refused", performer_id=one.person.id,
                    project_id=project_row.id if project_row else None, actor=actor.name,
                    reason=f"no active grant for {one.use.use} ({one.use.reason})",
                    detail={**detail, "use": one.use.use, **found},
                )
        first = missing[0]
        use, name = first.use.use, first.person.name
        if first.mention is not None and not actor.may(Action.MANAGE_CONSENT):  # a photo's performer was chosen
            raise ConsentRefused(
                f"refused: the prompt names a registered performer who has no active consent grant for {use} on "
                f"project {project!r}; ask a producer to record a grant, or remove the reference"
            )
        if first.sighting is not None and not actor.may(Action.MANAGE_CONSENT):
            done = "stored" if check == FACE_IN_OUTPUT else "generated"
            raise ConsentRefused(
                f"refused: the {first.sighting.picture} shows the face of a registered performer who has no active "
                f"consent grant for {use} on project {project!r}; nothing was {done}. Use another picture or "
                "prompt, or ask a producer to record a grant"
            )
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise ConsentRefused(
            f"refused: {name} ({first.use.reason}) has no active consent grant for {use} on project "
            f"{project!r}{more}. A producer can record one with `previs consent grant {name!r} --project "
            f"{project!r} --use {use} --description ... --until YYYY-MM-DD`, or remove the reference."
        )

    def _refuse_claim(self, project: str, sighting: Sighting, claimed: Registered, names: dict[int, str],
                      registered_face: bool, *, actor: Actor, detail: dict[str, Any]) -> None:
        """A picture said to show ``claimed`` shows a face that is not theirs on record: audit, refuse in one line.
        The claimed name was typed by the user; whom the face does match is said only to who may read the
        registry."""
        matched = None if sighting.performer_id is None else names[sighting.performer_id]
        with self.database.unit_of_work() as work:
            project_row = work.projects.find(project)
            work.consent.add_event(
                kind="generation_refused", performer_id=sighting.performer_id or claimed.id,
                project_id=project_row.id if project_row else None, actor=actor.name,
                reason=f"the face in the {sighting.picture} is not {claimed.name}'s on record",
                detail={**detail, "check": FACE_IN_INPUT, "picture": sighting.picture, "claimed": claimed.name,
                        "matched": matched, "distance": sighting.distance},
            )
        whose = ""
        if actor.may(Action.MANAGE_CONSENT):
            nearest = "no registered face" if sighting.distance is None else f"distance {sighting.distance:.2f}"
            whose = f" (it matches {matched}, {nearest})" if matched else f" ({nearest})"
        if registered_face or matched is not None:
            raise ConsentRefused(
                f"refused: the face in the {sighting.picture} does not match {claimed.name}'s reference photos "
                f"on record{whose}, so their consent cannot cover it; use a photo of {claimed.name}, or ask a "
                "producer to check whom it shows")
        raise ConsentRefused(
            f"refused: the {sighting.picture} shows a face that matches no registered performer{whose}; no "
            "consent covers an unregistered person's likeness. A producer must register this person with a "
            f"reference photo and a grant first (a reference photo for {claimed.name}, or a new performer with "
            "one, then a grant)")

    def _withdraw_frames(self, work: UnitOfWork, grant: ConsentGrant) -> list[int]:
        """Mark the grant's frames withdrawn and journal their files' moves, in the caller's transaction.

        Nothing on disk changes here, so a rollback leaves every file where its row says it is; the moves
        are carried out after the commit (``_take_out_of_reach``). Keep: each file goes to ``withdrawn/``
        (each stored frame file is unique: its record names the frame). Purge: the file is deleted, and so are
        the copy of its bytes a variation of the frame keeps in the inputs store and every input picture of
        its record (the performer photo, fitting variants, a parent) that no frame still keeping its bytes
        names.
        """
        frames = [frame for frame in work.consent.frames_using(grant.id) if frame.status != WITHDRAWN]
        inputs = FileStore(self._frames.home, INPUTS)
        purged = {frame.id for frame in frames}
        for frame in frames:
            if self.policy == "purge":
                work.file_moves.add(frame_id=frame.id, source=frame.path, target=None)
                work.file_moves.add(frame_id=frame.id, source=inputs.relative_path(frame.file_sha256), target=None)
                for used in frame.record.get("inputs", ()):  # the performer photo, variants, the parent frame
                    if not work.frames.input_kept_by_others(used["sha256"], purged):
                        work.file_moves.add(frame_id=frame.id, source=inputs.relative_path(used["sha256"]),
                                            target=None)
            else:
                target = self._withdrawn.relative_path(frame.file_sha256)
                work.file_moves.add(frame_id=frame.id, source=frame.path, target=target)
                frame.path = target
            frame.status = WITHDRAWN
        return [frame.id for frame in frames]

    def _take_out_of_reach(self) -> None:
        """After the commit: move or delete the withdrawn frames' files. Every pending move is carried out, so
        one a crash or a full disk left behind is finished too; recovery on open does the same."""
        carry_out_moves(self.database, self._frames.home)

    def _find_clash(self, work: UnitOfWork, labels: list[str]) -> str | None:
        """The first label already answered to by a registered performer (looked up by its keys): the rules
        could not tell the two performers apart by it."""
        for person in _candidates(work, NameText.of(*labels)):
            for label in labels:
                if person.names.answers_to(label):
                    return f"{label!r} (performer {person.name!r})"
        return None

    @staticmethod
    def _performer_info(person: Performer, grants: list[GrantInfo] | None = None, *, photos: int = 0) -> PerformerInfo:
        return PerformerInfo(person.id, person.name, list(person.aliases), person.contact, person.agent,
                             grants or [], list(person.identifying or ()), photos)

    def _state(self, work: UnitOfWork, grant: ConsentGrant, ended: set[int] | None = None) -> str:
        if grant.id in (work.consent.ended_grant_ids() if ended is None else ended):
            kinds = [event.kind for event in work.consent.events(grant_id=grant.id)]
            return "revoked" if "revoked" in kinds else "expired"
        today = self.today()
        if grant.valid_until < today:
            return "expired"
        return "active" if grant.valid_from <= today else "not_yet_valid"

    def _grant_info(self, grant: ConsentGrant, state: str) -> GrantInfo:
        return GrantInfo(
            id=grant.id, performer=grant.performer.name, project=grant.project.name, uses=list(grant.uses),
            description=grant.description, valid_from=grant.valid_from.isoformat(),
            valid_until=grant.valid_until.isoformat(), granted_by=grant.granted_by,
            created_at=_iso(grant.created_at), state=state, evidence_sha256=grant.evidence_sha256,
            evidence_type=grant.evidence_type,
        )

