"""A revocation and a frame store never interleave: the revoke waits for the store, then withdraws its frame."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path

import pytest

from previs.access.permissions import Actor, Role
from previs.app.requests import FrameRequest
from previs.app.studio import Studio
from previs.consent.registry import Withdrawal
from previs.errors import NotFound
from previs.storage import UnitOfWork

PRODUCER = Actor("priya", Role.PRODUCER)
SPECIFIC = "reference likeness for the rooftop scene concept frames, previs only, not for release"

pytestmark = pytest.mark.both_backends  # the serialisation is the database's: SQLite's write lock, PostgreSQL's


def test_a_grant_revoked_while_its_frame_is_being_stored_withdraws_that_frame(studio: Studio) -> None:
    studio.consent.add_performer("Ann Lee", actor=PRODUCER)
    grant_id = studio.consent.grant("Ann Lee", project="Nightfall", uses=["likeness_reference"],
                                    description=SPECIFIC, valid_until=date.today() + timedelta(days=30),
                                    actor=PRODUCER).id
    revoked: list[Withdrawal] = []
    revoker = threading.Thread(target=lambda: revoked.append(
        studio.consent.revoke(grant_id, reason="performer withdrew consent", actor=PRODUCER)))

    def revoke_after_the_last_consent_check(_work: UnitOfWork) -> None:
        # The frame's consent re-check has passed; the revocation starts before the frame's rows commit. Given a
        # second it would finish here, before the commit, if nothing held it back.
        revoker.start()
        revoker.join(timeout=1.0)

    request = FrameRequest("Ann Lee on the roof at dusk", seed=1, steps=1, width=64, height=64, project="Nightfall")
    frame = studio.frames.generate(request, actor=studio.local_actor,
                                   before_commit=revoke_after_the_last_consent_check)[0]
    revoker.join(timeout=60)
    assert not revoker.is_alive() and len(revoked) == 1, "the revocation waits for the store, then succeeds"
    assert revoked[0].withdrawn_frame_ids == [frame.id], "it withdraws the frame committed just before it"
    with pytest.raises(NotFound, match="withdrawn"):
        studio.frames.get(frame.id, actor=studio.local_actor)
    assert not Path(frame.path).exists(), "the withdrawn frame's file left the served folder"
