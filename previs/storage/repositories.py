"""Repositories: the queries domain code needs, bound to one session by ``UnitOfWork``."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Delete,
    Row,
    Text,
    Update,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from previs.errors import NotFound
from previs.storage.tables import (
    ConsentEvent,
    ConsentGrant,
    FileMove,
    Frame,
    FrameConsent,
    LedgerNode,
    LedgerRow,
    NameWord,
    Performer,
    PerformerPhoto,
    Project,
    Review,
    Scene,
    Shot,
    SoftBinding,
    StoryboardJob,
    StudioEvent,
    StudioMeta,
    utc_now,
)

# One row of the name-word index: (label, key, whether the key names the performer alone). The consent layer
# computes them (previs.consent.canonical.PerformerNames.index); storage stores keys, it does not match names.
NameKey = tuple[str, str, bool]


class ProjectRepository:
    def __init__(self, session: Session):
        self._session = session

    def get_or_create(self, name: str) -> Project:
        project = self.find(name)
        if project is None:
            project = Project(name=name)
            self._session.add(project)
            self._session.flush()
        return project

    def find(self, name: str) -> Project | None:
        return self._session.scalar(_PROJECT_NAMED, {"name": name})

    def get(self, name: str) -> Project:
        project = self.find(name)
        if project is None:
            raise NotFound(f"no project named {name!r}: check its spelling; a project is created by generating "
                           "frames into it or by importing a script into it")
        return project

    def all(self) -> Sequence[Project]:
        return self._session.scalars(select(Project).order_by(Project.name)).all()

    def set_aspect(self, name: str, aspect: str | None) -> Project:
        """The project's default aspect ratio (None: the built-in default); the project is made if new."""
        project = self.get_or_create(name)
        project.aspect = aspect
        self._session.flush()
        return project


class FrameRepository:
    def __init__(self, session: Session):
        self._session = session

    def add(self, **fields: Any) -> Frame:
        frame = Frame(**fields)
        self._session.add(frame)
        self._session.flush()
        return frame

    def get(self, frame_id: int) -> Frame:
        frame = self._session.get(Frame, frame_id)
        if frame is None:
            raise NotFound(f"no frame with id {frame_id}: check the frame number")
        return frame

    def list(self, *, project: str | None = None, limit: int = 100, include_withdrawn: bool = False,
             kind: str | None = None) -> Sequence[Frame]:
        query = select(Frame).order_by(Frame.id.desc()).limit(limit)
        if project is not None:
            query = query.join(Project).where(Project.name == project)
        if not include_withdrawn:
            query = query.where(Frame.status == "active")
        if kind is not None:
            query = query.where(Frame.kind == kind)
        return self._session.scalars(query).all()

    def library(self, *, project: str | None = None, kind: str | None = None, scene: str | None = None,
                review: str | None = None, created_by: str | None = None, before: int | None = None,
                after: int | None = None, limit: int = 24) -> Sequence[Frame]:
        """One page of active frames, newest first, in one query: keyset paging on the id (``before``: older
        than that frame; ``after``: the newer page), each filter on an indexed column or a correlated lookup
        on an index (a frame's newest review; "pending" when it has none)."""
        condition: ColumnElement[bool] = Frame.status == "active"
        if project is not None:
            project_id = select(Project.id).where(Project.name == project).scalar_subquery()
            condition &= Frame.project_id == project_id
            if scene is not None:
                condition &= Frame.scene_id.in_(select(Scene.id).where(Scene.project_id == project_id,
                                                                       Scene.number == scene))
        if kind is not None:
            condition &= Frame.kind == kind
        if created_by is not None:
            condition &= Frame.created_by == created_by
        if review is not None:
            newest = select(Review.status).where(Review.frame_id == Frame.id).order_by(Review.id.desc()).limit(1)
            condition &= func.coalesce(newest.scalar_subquery(), "pending") == review
        if before is not None:
            condition &= Frame.id < before
        if after is not None:
            condition &= Frame.id > after
        order = Frame.id.asc() if after is not None else Frame.id.desc()
        query = select(Frame).where(condition).options(joinedload(Frame.project)).order_by(order).limit(limit)
        rows = self._session.scalars(query).all()
        return rows[::-1] if after is not None else rows

    def variations_of(self, frame_id: int) -> Sequence[Frame]:
        """The active frames made from this one (their parent), oldest first."""
        query = select(Frame).where(Frame.parent_id == frame_id, Frame.status == "active").order_by(Frame.id)
        return self._session.scalars(query).all()

    def add_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert frame rows in one statement (benchmarks and tests setting up large projects)."""
        if rows:
            self._session.execute(insert(Frame), rows)

    def with_ids(self, frame_ids: Collection[int]) -> Sequence[Frame]:
        """The frames with these ids and their projects, by id, in one query (a page of a listing)."""
        query = select(Frame).where(Frame.id.in_(list(frame_ids))).options(joinedload(Frame.project)).order_by(Frame.id)
        return self._session.scalars(query).all()

    def by_file_sha256(self, file_sha256: str) -> Frame | None:
        return self._session.scalar(select(Frame).where(Frame.file_sha256 == file_sha256))

    def by_sha256(self, sha256: str) -> Sequence[Frame]:
        """Frames whose pixels are exactly this picture (a picture can be stored more than once)."""
        return self._session.scalars(select(Frame).where(Frame.sha256 == sha256).order_by(Frame.id)).all()

    def paths(self) -> set[str]:
        """Every frame's file path: the files in the stores that rows need."""
        return set(self._session.scalars(select(Frame.path)))

    def withdrawn_files(self, file_sha256s: Collection[str]) -> set[str]:
        """Which of these file digests belong to withdrawn frames (a front end's cached copies to drop)."""
        if not file_sha256s:
            return set()
        query = select(Frame.file_sha256).where(Frame.file_sha256.in_(list(file_sha256s)),
                                                Frame.status != "active")
        return set(self._session.scalars(query))

    def input_kept_by_others(self, sha256: str, excluding: Collection[int]) -> bool:
        """Whether a frame other than ``excluding`` that still keeps its bytes (active, or withdrawn into
        ``withdrawn/``) names the input picture ``sha256`` in its record: then a purge must leave that input."""
        keeps = (Frame.status != "consent_withdrawn") | Frame.path.like("withdrawn/%")
        query = select(Frame.id).where(Frame.record.cast(Text).contains(sha256), Frame.id.not_in(list(excluding)),
                                       keeps).limit(1)
        return self._session.scalar(query) is not None

    def fingerprints(self) -> Iterator[tuple[int, str, str, dict[str, Any]]]:
        """(id, file digest, pixel digest, record) of every frame: what ``ledger verify`` checks against the log."""
        query = select(Frame.id, Frame.file_sha256, Frame.sha256, Frame.record).order_by(Frame.id)
        for row in self._session.execute(query.execution_options(yield_per=1000)):
            yield row.id, row.file_sha256, row.sha256, row.record

    def records(self) -> Iterator[dict[str, Any]]:
        """Every frame's record, read in chunks (a one-time sweep over tens of thousands of frames)."""
        yield from self._session.scalars(select(Frame.record).execution_options(yield_per=1000))


class LedgerRepository:
    def __init__(self, session: Session):
        self._session = session

    def last(self) -> LedgerRow | None:
        return self._session.scalar(_LAST_LEDGER_ROW)

    def add(self, **fields: Any) -> LedgerRow:
        row = LedgerRow(**fields)
        self._session.add(row)
        self._session.flush()
        return row

    def all(self) -> Sequence[LedgerRow]:
        return self._session.scalars(select(LedgerRow).order_by(LedgerRow.sequence, LedgerRow.id)).all()

    def after(self, sequence: int) -> Sequence[LedgerRow]:
        """The rows past ``sequence``, in order (the recorder's Merkle frontier reads only what is new)."""
        return self._session.scalars(select(LedgerRow).where(LedgerRow.sequence > sequence)
                                     .order_by(LedgerRow.sequence, LedgerRow.id)).all()

    def for_frame(self, frame_id: int) -> Sequence[LedgerRow]:
        return self._session.scalars(select(LedgerRow).where(LedgerRow.frame_id == frame_id)
                                     .order_by(LedgerRow.sequence)).all()

    def has_entry(self, sequence: int, entry_hash: str) -> bool:
        """Whether this exact entry was committed (recovery: did a dead process's transaction commit?)."""
        return self._session.scalar(select(LedgerRow.id).where(LedgerRow.sequence == sequence,
                                                               LedgerRow.entry_hash == entry_hash)) is not None

    def by_frame_sha256(self, digest: str) -> LedgerRow | None:
        return self._session.scalar(select(LedgerRow).where(LedgerRow.frame_sha256 == digest).limit(1))

    def by_pixel_sha256(self, digest: str) -> LedgerRow | None:
        return self._session.scalar(
            select(LedgerRow).where(LedgerRow.pixel_sha256 == digest).order_by(LedgerRow.sequence).limit(1)
        )


class LedgerNodeRepository:
    """The persisted nodes of the ledger's Merkle tree (``LedgerNode``)."""

    def __init__(self, session: Session):
        self._session = session

    def leaf_count(self) -> int:
        """How many leaves are persisted (the primary key makes this one index probe)."""
        top = self._session.scalar(select(func.max(LedgerNode.position)).where(LedgerNode.level == 0))
        return 0 if top is None else top + 1

    def get(self, level: int, position: int) -> bytes:
        node = self._session.get(LedgerNode, (level, position))
        if node is None:
            raise NotFound(f"the ledger's Merkle node ({level}, {position}) is missing; run `previs ledger verify`")
        return bytes.fromhex(node.hash)

    def add_many(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """(level, position, hash) nodes, in one flush."""
        self._session.add_all([LedgerNode(level=level, position=position, hash=digest.hex())
                               for level, position, digest in nodes])
        self._session.flush()


class SoftBindingRepository:
    """The soft-binding index: frames' image codes as four banded columns (``previs.provenance.soft_binding``)."""

    def __init__(self, session: Session):
        self._session = session

    def add_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Index codes: each row has ``frame_id``, ``crop`` and ``band0`` to ``band3``."""
        if rows:
            self._session.execute(insert(SoftBinding), rows)

    def candidates(self, keys: Sequence[Collection[int]]) -> Sequence[Row[int, int, int, int, int, str]]:
        """Frame id, the four bands and the frame's status of every indexed code with a band among ``keys`` (one
        collection of values per band): the codes that may lie near a query, read through the band indexes."""
        condition = or_(*(getattr(SoftBinding, f"band{index}").in_(list(values))
                          for index, values in enumerate(keys) if values))
        query = select(SoftBinding.frame_id, SoftBinding.band0, SoftBinding.band1, SoftBinding.band2,
                       SoftBinding.band3, Frame.status).join(Frame, Frame.id == SoftBinding.frame_id).where(condition)
        return self._session.execute(query).all()


class ConsentRepository:
    """Performers, grants, events and frame links; grants and events are only ever added."""

    def __init__(self, session: Session):
        self._session = session

    def performers(self) -> Sequence[Performer]:
        return self._session.scalars(select(Performer).order_by(Performer.name)).all()

    def performers_with_words(self, keys: Collection[str]) -> Sequence[Row[int, str, str, str | None]]:
        """Id, name, aliases and identifying words (the JSON text stored) of the performers with a label that has
        among ``keys`` one key that names them alone or two keys, by name: the candidates the consent gate
        matches a text against. One query on the name-word index, so its cost follows the words looked up, not
        the size of the registry."""
        if not keys:
            return []
        return self._session.execute(_PERFORMERS_WITH_WORDS, {"keys": list(keys)}).all()

    def add_performer(self, *, keys: Iterable[NameKey], **fields: Any) -> Performer:
        """A performer, with their label keys (``keys``) in the name-word index."""
        performer = Performer(**fields)
        self._session.add(performer)
        self._session.flush()
        _index(self._session, performer.id, keys)
        return performer

    def reindex(self, keys: Callable[[Performer], Iterable[NameKey]]) -> int:
        """Rebuild the whole name-word index with ``keys`` (the consent layer's, when its key function changed);
        the number of performers indexed."""
        self._session.execute(delete(NameWord))
        people = self.performers()
        for person in people:
            _index(self._session, person.id, keys(person))
        return len(people)

    def add_photo(self, **fields: Any) -> PerformerPhoto:
        photo = PerformerPhoto(**fields)
        self._session.add(photo)
        self._session.flush()
        return photo

    def has_photo(self, performer_id: int, sha256: str) -> bool:
        return self._session.scalar(select(PerformerPhoto.id).where(
            PerformerPhoto.performer_id == performer_id, PerformerPhoto.sha256 == sha256)) is not None

    def photos_version(self) -> tuple[int, int]:
        """The newest reference photo's id and the count: what a cached copy of the descriptors is checked by."""
        newest, count = self._session.execute(_PHOTOS_VERSION).one()
        return int(newest or 0), int(count)

    def photo_descriptors(self) -> Sequence[Row[int, bytes]]:
        """Every reference photo's performer and face descriptor."""
        return self._session.execute(select(PerformerPhoto.performer_id, PerformerPhoto.descriptor).order_by(
            PerformerPhoto.id)).all()

    def photo_counts(self) -> dict[int, int]:
        """How many reference photos each performer with any has."""
        rows = self._session.execute(select(PerformerPhoto.performer_id, func.count()).group_by(
            PerformerPhoto.performer_id)).all()
        return {int(performer): int(count) for performer, count in rows}

    def performers_with_ids(self, performer_ids: Collection[int]) -> Sequence[Row[int, str, str, str | None]]:
        """The performers with these ids, as ``performers_with_words`` gives them (the faces the gate matched)."""
        if not performer_ids:
            return []
        return self._session.execute(_PERFORMER_COLUMNS.where(Performer.id.in_(list(performer_ids)))).all()

    def add_grant(self, **fields: Any) -> ConsentGrant:
        grant = ConsentGrant(**fields)
        self._session.add(grant)
        self._session.flush()
        return grant

    def grant(self, grant_id: int) -> ConsentGrant:
        grant = self._session.get(ConsentGrant, grant_id)
        if grant is None:
            raise NotFound(f"no consent grant with id {grant_id}: see `previs consent list`")
        return grant

    def grants(self, *, performer_id: int | None = None) -> Sequence[ConsentGrant]:
        query = select(ConsentGrant).order_by(ConsentGrant.id)
        if performer_id is not None:
            query = query.where(ConsentGrant.performer_id == performer_id)
        return self._session.scalars(query).all()

    def add_event(self, **fields: Any) -> ConsentEvent:
        event = ConsentEvent(**fields)
        self._session.add(event)
        self._session.flush()
        return event

    def events(self, *, grant_id: int | None = None) -> Sequence[ConsentEvent]:
        query = select(ConsentEvent).order_by(ConsentEvent.id)
        if grant_id is not None:
            query = query.where(ConsentEvent.grant_id == grant_id)
        return self._session.scalars(query).all()

    def ended_grant_ids(self) -> set[int]:
        """Grants with a revoked or expired event: they never become active again."""
        return set(self._session.scalars(_ENDED_GRANT_IDS))

    def current_grants(self, project: str, performer_ids: Collection[int], today: date) -> Sequence[ConsentGrant]:
        """The performers' grants on the project that are within their dates today and were never ended."""
        return self._session.scalars(_CURRENT_GRANTS, {"project": project, "performer_ids": list(performer_ids),
                                                       "today": today}).all()

    def ended_among(self, grant_ids: Collection[int], today: date) -> set[int]:
        """Those of the grants that have ended: revoked, expired, or past their end date today."""
        return set(self._session.scalars(_ENDED_AMONG, {"grant_ids": list(grant_ids), "today": today}))

    def link_frame(self, frame_id: int, grant_id: int) -> None:
        self._session.add(FrameConsent(frame_id=frame_id, grant_id=grant_id))

    def frames_using(self, grant_id: int) -> Sequence[Frame]:
        query = select(Frame).join(FrameConsent, FrameConsent.frame_id == Frame.id).where(
            FrameConsent.grant_id == grant_id).order_by(Frame.id)
        return self._session.scalars(query).all()


# The queries every frame runs (the consent gate, the ledger's tip, the project): built once, values bound per
# call. Building a statement costs more than SQLite takes to run it.
_PHOTOS_VERSION = select(func.max(PerformerPhoto.id), func.count(PerformerPhoto.id))
_PROJECT_NAMED = select(Project).where(Project.name == bindparam("name"))
_LAST_LEDGER_ROW = select(LedgerRow).order_by(LedgerRow.sequence.desc()).limit(1)
_ENDED_GRANT_IDS = select(ConsentEvent.grant_id).where(ConsentEvent.kind.in_(("revoked", "expired")),
                                                       ConsentEvent.grant_id.is_not(None))
_CURRENT_GRANTS = select(ConsentGrant).join(Project, ConsentGrant.project_id == Project.id).where(
    Project.name == bindparam("project"), ConsentGrant.performer_id.in_(bindparam("performer_ids", expanding=True)),
    ConsentGrant.valid_from <= bindparam("today"), ConsentGrant.valid_until >= bindparam("today"),
    ConsentGrant.id.not_in(_ENDED_GRANT_IDS)).order_by(ConsentGrant.id)
_ENDED_AMONG = select(ConsentGrant.id).where(ConsentGrant.id.in_(bindparam("grant_ids", expanding=True)), or_(
    ConsentGrant.valid_until < bindparam("today"), ConsentGrant.id.in_(_ENDED_GRANT_IDS)))
# Labels with a key among the text's that names the performer alone, or with two such keys.
_LABELS_WITHIN = select(NameWord.performer_id).where(NameWord.key.in_(bindparam("keys", expanding=True))).group_by(
    NameWord.performer_id, NameWord.label).having(or_(func.count() >= 2, func.max(case((NameWord.alone, 1),
                                                                                        else_=0)) == 1))
_PERFORMER_COLUMNS = select(Performer.id, Performer.name, Performer.aliases.cast(Text),
                            Performer.identifying.cast(Text)).order_by(Performer.name)
_PERFORMERS_WITH_WORDS = _PERFORMER_COLUMNS.where(Performer.id.in_(_LABELS_WITHIN))


def _index(session: Session, performer_id: int, keys: Iterable[NameKey]) -> None:
    rows = [{"performer_id": performer_id, "label": label, "key": key, "alone": alone} for label, key, alone in keys]
    if rows:
        session.execute(insert(NameWord), rows)


class FileMoveRepository:
    """The journal of withdrawn frames' file moves (``previs.storage.moves``)."""

    def __init__(self, session: Session):
        self._session = session

    def add(self, *, frame_id: int, source: str, target: str | None) -> None:
        self._session.add(FileMove(frame_id=frame_id, source=source, target=target))

    def pending(self, frame_ids: Collection[int] | None = None) -> Sequence[FileMove]:
        query = select(FileMove).order_by(FileMove.id)
        if frame_ids is not None:
            query = query.where(FileMove.frame_id.in_(frame_ids))
        return self._session.scalars(query).all()

    def clear(self, move_ids: Collection[int]) -> None:
        self._session.execute(delete(FileMove).where(FileMove.id.in_(move_ids)))


class SceneRepository:
    def __init__(self, session: Session):
        self._session = session

    def upsert(self, project: Project, number: str, position: int, **fields: Any) -> tuple[Scene, bool]:
        """Update the scene with this number, or add it; True when it is new."""
        scene = self.find(project, number)
        created = scene is None
        if scene is None:
            scene = Scene(project_id=project.id, number=number, position=position, **fields)
            self._session.add(scene)
        else:
            scene.position = position
            for name, value in fields.items():
                setattr(scene, name, value)
            scene.updated_at = utc_now()
        self._session.flush()
        return scene, created

    def replace_shots(self, scene: Scene, shots: Sequence[dict[str, Any]]) -> None:
        """The scene's shots become ``shots``, in order. One with an ``id`` is that row, moved to its place (its
        frames follow it); the others update the rows left over in position order (frames keep pointing at
        them), or are added. Rows left over after that are removed; their frames keep the scene, lose the shot.
        """
        by_id = {shot.id: shot for shot in scene.shots}
        named = {fields["id"] for fields in shots if fields.get("id") is not None}
        spare = [shot for shot in scene.shots if shot.id not in named]
        for shot in scene.shots:  # out of the way of (scene_id, position) first: rows may swap places
            shot.position = -shot.position
        self._session.flush()
        for position, fields in enumerate(shots, start=1):
            values = {name: value for name, value in fields.items() if name != "id"}
            row = by_id[fields["id"]] if fields.get("id") is not None else (spare.pop(0) if spare else None)
            if row is None:
                scene.shots.append(Shot(position=position, **values))
                continue
            row.position = position
            for name, value in values.items():
                setattr(row, name, value)
        for shot in spare:
            for frame in self._session.scalars(select(Frame).where(Frame.shot_id == shot.id)):
                frame.shot_id = None
            scene.shots.remove(shot)
        self._session.flush()
        scene.shots.sort(key=lambda shot: shot.position)

    def find(self, project: Project, number: str) -> Scene | None:
        return self._session.scalar(select(Scene).where(Scene.project_id == project.id, Scene.number == number))

    def get(self, project: Project, number: str) -> Scene:
        scene = self.find(project, number)
        if scene is None:
            known = ", ".join(row.number for row in self.list(project)) or "none yet: import a script first"
            raise NotFound(f"project {project.name!r} has no scene {number!r} (scenes: {known})")
        return scene

    def list(self, project: Project) -> Sequence[Scene]:
        return self._session.scalars(select(Scene).where(Scene.project_id == project.id)
                                     .order_by(Scene.position)).all()

    def shot(self, shot_id: int) -> Shot:
        shot = self._session.get(Shot, shot_id)
        if shot is None:
            raise NotFound(f"no shot with id {shot_id}")
        return shot

    def frames_of_shot(self, shot_id: int) -> Sequence[Frame]:
        return self._session.scalars(select(Frame).where(Frame.shot_id == shot_id, Frame.status == "active")
                                     .order_by(Frame.id)).all()


class ReviewRepository:
    def __init__(self, session: Session):
        self._session = session

    def add(self, **fields: Any) -> Review:
        review = Review(**fields)
        self._session.add(review)
        self._session.flush()
        return review

    def history(self, frame_id: int) -> Sequence[Review]:
        return self._session.scalars(select(Review).where(Review.frame_id == frame_id).order_by(Review.id)).all()

    def latest(self, frame_ids: Sequence[int]) -> dict[int, Review]:
        """The newest review of each frame that has one."""
        rows = self._session.scalars(select(Review).where(Review.frame_id.in_(frame_ids)).order_by(Review.id))
        return {row.frame_id: row for row in rows}

    def undecided(self, decided: Collection[str], *, project: str | None, after: int, limit: int) -> Sequence[int]:
        """Ids of active frames (of ``project``, or all) above ``after`` whose newest review is none or not one of
        ``decided``, oldest first, at most ``limit``: one page of the review queue, selected in SQL."""
        query = select(Frame.id).where(_undecided(decided, project), Frame.id > after).order_by(Frame.id).limit(limit)
        return self._session.scalars(query).all()

    def count_undecided(self, decided: Collection[str], *, project: str | None) -> int:
        """How many frames ``undecided`` would list over all its pages."""
        return self._session.scalar(select(func.count(Frame.id)).where(_undecided(decided, project))) or 0


def _undecided(decided: Collection[str], project: str | None) -> ColumnElement[bool]:
    """The condition of the review queue: active, of the project, newest review (a correlated lookup on the
    reviews' frame index) none or undecided."""
    newest = select(Review.status).where(Review.frame_id == Frame.id).order_by(Review.id.desc()).limit(1)
    condition = (Frame.status == "active") & func.coalesce(newest.scalar_subquery(), "").not_in(list(decided))
    if project is not None:
        condition &= Frame.project_id == select(Project.id).where(Project.name == project).scalar_subquery()
    return condition


class StoryboardJobRepository:
    """Claims on (scene, style): each change is one statement that succeeds for exactly one contender.

    Taking a free claim is an insert the unique constraint lets only one job win; taking over, beating and
    releasing name the holder they expect, so a job that lost its claim changes nothing. Call each as the first
    statement of its unit of work: on SQLite it then waits for the write lock instead of failing on a stale read.
    """

    def __init__(self, session: Session):
        self._session = session

    def holder_of(self, scene_id: int, style: str) -> StoryboardJob | None:
        return self._session.scalar(select(StoryboardJob).where(StoryboardJob.scene_id == scene_id,
                                                                StoryboardJob.style == style))

    def claim(self, **fields: Any) -> int | None:
        """The new claim's id, or None when another job holds (scene, style) already."""
        job = StoryboardJob(**fields)
        try:
            with self._session.begin_nested():
                self._session.add(job)
        except IntegrityError:
            return None
        return job.id

    def take_over(self, job_id: int, expected: str, **fields: Any) -> bool:
        """Replace a stale claim, if its holder is still ``expected``."""
        return self._changed(update(StoryboardJob).where(StoryboardJob.id == job_id,
                                                         StoryboardJob.holder == expected).values(**fields))

    def beat(self, job_id: int, holder: str, now: datetime) -> bool:
        """Refresh the claim's heartbeat; False when ``holder`` no longer has it (it was taken over)."""
        return self._changed(update(StoryboardJob).where(StoryboardJob.id == job_id, StoryboardJob.holder == holder)
                             .values(heartbeat_at=now))

    def release(self, job_id: int, holder: str) -> None:
        self._changed(delete(StoryboardJob).where(StoryboardJob.id == job_id, StoryboardJob.holder == holder))

    def _changed(self, statement: Update | Delete) -> bool:
        return cast(CursorResult[Any], self._session.execute(statement)).rowcount == 1


class StudioRepository:
    """The studio's own facts (its id) and events; see ``storage/datadir.py``."""

    def __init__(self, session: Session):
        self._session = session

    def get(self, key: str) -> str | None:
        row = self._session.get(StudioMeta, key)
        return None if row is None else row.value

    def put(self, key: str, value: str) -> None:
        self._session.merge(StudioMeta(key=key, value=value))

    def record(self, kind: str, detail: str) -> None:
        self._session.add(StudioEvent(kind=kind, detail=detail))

    def events(self) -> Sequence[StudioEvent]:
        return self._session.scalars(select(StudioEvent).order_by(StudioEvent.id)).all()

    def holds_frames(self) -> bool:
        """Whether anything was ever made here: a database that did is a studio's, even without an id."""
        return self._session.scalar(select(LedgerRow.id).limit(1)) is not None or \
            self._session.scalar(select(Frame.id).limit(1)) is not None

    def frame_count(self) -> int:
        return self._session.scalar(select(func.count()).select_from(Frame)) or 0


class UnitOfWork:
    """Repositories sharing one transaction (see ``Database.unit_of_work``)."""

    def __init__(self, session: Session):
        self.projects = ProjectRepository(session)
        self.frames = FrameRepository(session)
        self.ledger = LedgerRepository(session)
        self.consent = ConsentRepository(session)
        self.scenes = SceneRepository(session)
        self.reviews = ReviewRepository(session)
        self.storyboard_jobs = StoryboardJobRepository(session)
        self.studio = StudioRepository(session)
        self.file_moves = FileMoveRepository(session)
        self.soft_bindings = SoftBindingRepository(session)
        self.ledger_nodes = LedgerNodeRepository(session)
