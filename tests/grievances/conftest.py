"""Fixtures of the resident portal: a case submitted online, and its codes."""

from __future__ import annotations

import pytest

from grievances.portal.services import public_petition_submit


@pytest.fixture
def submit_online(world, categories):
    """Submit a case the way a resident of 东一村 would, online."""

    def _submit(**overrides):
        fields = {
            "county": world.region("甲县"),
            "category": categories["infrastructure"],
            "region": world.region("东一村"),
            "title": "村道塌方",
            "content": "东一村三组村道雨后塌方，车辆无法通行。",
            "anonymous": False,
            "complainant_name": "字红梅",
            "complainant_phone": "13800138000",
        }
        fields.update(overrides)
        return public_petition_submit(**fields)

    return _submit


@pytest.fixture
def replied(submit_online, world):
    """A case submitted online, accepted and answered by the East township centre."""
    from petitions.services import petition_accept, petition_note, petition_reply

    submission = submit_online()
    handler = world.users["handler"]
    petition_accept(petition_id=submission.petition.pk, actor=handler, note="内部：先联系村委")
    petition_note(petition_id=submission.petition.pk, actor=handler, text="内部备注：施工队电话 13912345678")
    petition_reply(petition_id=submission.petition.pk, actor=handler, text="已安排修复，预计两周内完工。")
    return submission
