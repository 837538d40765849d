"""Resident ID numbers: encrypted at rest, matched by a keyed digest, masked where not needed,
and never written to a log."""

from __future__ import annotations

import logging
import re

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from petitions import services
from petitions.idnumbers import id_number_digest
from petitions.models import Petition, PetitionEvent

pytestmark = pytest.mark.django_db

CASES = "/api/v1/petitions/"


def valid_id_number(first17: str) -> str:
    return next(first17 + c for c in "0123456789X" if services.id_number_is_valid(first17 + c))


# Ends in X, so the lower-case form typed at a desk is a different string worth looking for.
NUMBER = valid_id_number("11010519491231002")
assert NUMBER.endswith("X")


def raw_column(pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT complainant_id_number, complainant_id_digest FROM petitions_petition WHERE id = %s", [pk]
        )
        return cursor.fetchone()


def forms_of(number: str) -> list[str]:
    """What would give the number away: itself in any case, and any 8 of its characters in a
    row beyond the masked shape `1101**********002X` (head 4 + tail 4 are allowed to show)."""
    forms = {number, number.lower()}
    for start in range(len(number) - 7):
        piece = number[start : start + 8]
        forms |= {piece, piece.lower()}
    return sorted(forms)


# --- At rest ---------------------------------------------------------------------------------


def test_the_database_column_holds_no_plain_number(register):
    petition = register(complainant_id_number=NUMBER.lower()).petition

    stored, digest = raw_column(petition.pk)
    assert stored.startswith("gAAAA")  # a Fernet token
    assert all(form not in stored for form in forms_of(NUMBER))
    assert re.fullmatch(r"[0-9a-f]{64}", digest) and NUMBER not in digest
    # The application reads it back whole, normalised to upper case.
    assert Petition.objects.get(pk=petition.pk).complainant_id_number == NUMBER
    # Two encryptions of one number differ: the ciphertext tells nobody two cases share a person.
    again = register(complainant_id_number=NUMBER, complainant_phone="").petition
    assert raw_column(again.pk)[0] != stored and raw_column(again.pk)[1] == digest


def test_no_number_is_stored_as_empty_text(register):
    petition = register().petition
    assert raw_column(petition.pk) == ("", "")
    assert Petition.objects.get(pk=petition.pk).complainant_id_number == ""
    assert Petition.objects.filter(complainant_id_number="").count() == 1


def test_matching_the_encrypted_column_by_value_is_refused(register):
    register(complainant_id_number=NUMBER)
    with pytest.raises(FieldError, match="complainant_id_digest"):
        list(Petition.objects.filter(complainant_id_number=NUMBER))
    with pytest.raises(FieldError):
        list(Petition.objects.filter(complainant_id_number__icontains="1101"))


def test_a_repeat_is_found_by_the_id_number_digest(register, world):
    original = register(complainant_id_number=NUMBER).petition
    again = register(actor="handler", complainant_phone="", complainant_id_number=NUMBER.lower()).petition
    assert again.repeat_of == original
    assert PetitionEvent.objects.filter(petition=again, verb=PetitionEvent.Verb.REPEAT).exists()
    other = register(complainant_phone="", complainant_id_number=valid_id_number("53010219900101123")).petition
    assert other.repeat_of is None


def test_after_a_key_rotation_old_numbers_still_read_and_match_then_are_rekeyed(register, settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    original = register(complainant_id_number=NUMBER).petition
    old_token, old_digest = raw_column(original.pk)

    # A new key goes first; the old one stays to read what it encrypted.
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert Petition.objects.get(pk=original.pk).complainant_id_number == NUMBER
    again = register(actor="handler", complainant_phone="", complainant_id_number=NUMBER).petition
    assert again.repeat_of == original
    assert raw_column(again.pk)[1] == id_number_digest(NUMBER, new_key) != old_digest

    call_command("rotate_encryption_key", verbosity=0)
    token, digest = raw_column(original.pk)
    assert token != old_token and digest == id_number_digest(NUMBER, new_key)
    # Re-keyed: the old key can go.
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert Petition.objects.get(pk=original.pk).complainant_id_number == NUMBER
    third = register(actor="handler", complainant_phone="", complainant_id_number=NUMBER).petition
    assert third.repeat_of == original


# --- Shown where needed, masked elsewhere -----------------------------------------------------


def test_the_case_page_shows_the_number_to_its_desk_and_masks_it_for_a_co_handling_unit(client, register, world):
    from petitions.services import petition_accept, petition_assign

    petition = register(complainant_id_number=NUMBER).petition
    handler = world.users["handler"]
    petition_accept(petition_id=petition.pk, actor=handler)
    petition_assign(
        petition_id=petition.pk,
        actor=handler,
        unit=world.units["east_finance"],
        co_units=[world.units["civil_affairs"]],
    )
    client.force_login(world.users["clerk"])
    page = client.get(f"/staff/cases/{petition.pk}/").content.decode()
    assert NUMBER in page
    client.force_login(world.users["dept_handler"])
    page = client.get(f"/staff/cases/{petition.pk}/").content.decode()
    assert NUMBER not in page and "1101**********002X" in page


def test_the_ledger_export_masks_the_number_for_a_co_handling_unit(client, register, world, settings, tmp_path):
    import io

    from openpyxl import load_workbook

    from petitions.services import petition_accept, petition_assign

    settings.MEDIA_ROOT = tmp_path / "media"
    petition = register(complainant_id_number=NUMBER).petition
    handler = world.users["handler"]
    petition_accept(petition_id=petition.pk, actor=handler)
    petition_assign(
        petition_id=petition.pk,
        actor=handler,
        unit=world.units["east_finance"],
        co_units=[world.units["civil_affairs"]],
    )

    def exported(user) -> list[tuple]:
        client.force_login(user)
        content = b"".join(client.get("/staff/export/").streaming_content)
        rows = [
            tuple(row)
            for row in load_workbook(io.BytesIO(content), read_only=True).worksheets[0].iter_rows(values_only=True)
        ]
        column = rows[0].index("身份证号")  # the header, wherever the column stands
        return [row[column] for row in rows[1:]]

    assert exported(world.users["dept_handler"]) == ["1101**********002X"]
    assert exported(world.users["clerk"]) == [NUMBER]


# --- Never in a log ---------------------------------------------------------------------------


class _Everything(logging.Handler):
    """Keeps every record, formatted with its arguments, as a log file would hold it."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        extra = {k: v for k, v in record.__dict__.items() if k in ("sql", "params", "request", "status_code")}
        self.lines.append(f"{record.name} {text} {extra!r}")


@pytest.fixture
def every_log_record(settings):
    """The root logger at DEBUG with SQL logged (DEBUG=True): everything anyone could log."""
    settings.DEBUG = True
    handler = _Everything()
    root = logging.getLogger()
    old_level = root.level
    loggers = [logging.getLogger(name) for name in ("django.db.backends", "django.request", "django.server")]
    old = [(logger, logger.level, logger.propagate) for logger in loggers]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.propagate = True
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        for logger, level, propagate in old:
            logger.setLevel(level)
            logger.propagate = propagate


def test_the_number_is_written_to_no_log(every_log_record, api, client, world, categories, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    clerk = world.users["clerk"]
    second = valid_id_number("53010219900101123")
    bad = NUMBER[:-1] + ("1" if NUMBER[-1] != "1" else "2")  # a wrong check character
    with CaptureQueriesContext(connection) as queries:
        # Registered through the API, read back (list, detail, timeline).
        api.force_authenticate(clerk)
        response = api.post(
            CASES,
            {
                "channel": "visit",
                "category": "infrastructure",
                "region": world.region("东一村").code,
                "title": "村道塌方",
                "content": "东一村三组村道雨后塌方。",
                "complainant_name": "字红梅",
                "complainant_phone": "13800138000",
                "complainant_id_number": NUMBER.lower(),
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        pk = response.json()["id"]
        assert api.get(f"{CASES}{pk}/").json()["complainant_id_number"] == NUMBER
        api.get(CASES)
        api.get(f"{CASES}{pk}/events/")
        # A failed registration echoing bad input: through the API and the intake page.
        refused = api.post(
            CASES,
            {"channel": "visit", "category": "infrastructure", "complainant_id_number": bad},
            format="json",
        )
        assert refused.status_code == 400
        too_long = api.post(CASES, {"complainant_id_number": bad + "123"}, format="json")
        assert too_long.status_code == 400

        # Registered through the intake page, read on the case page.
        client.force_login(clerk)
        page_data = {
            "complainant_name": "字红梅",
            "complainant_phone": "13800138001",
            "complainant_id_number": second,
            "category": categories["land"].pk,
            "title": "宅基地纠纷",
            "content": "邻居占用宅基地。",
            "region": world.region("东一村").pk,
            "channel": "visit",
            "intake_unit": world.units["east1_desk"].pk,
        }
        assert client.post("/staff/intake/", page_data).status_code == 302
        assert client.post("/staff/intake/", {**page_data, "complainant_id_number": bad}).status_code == 200
        by_page = Petition.objects.get(complainant_id_digest=id_number_digest(second))
        assert second in client.get(f"/staff/cases/{by_page.pk}/").content.decode()

        # The ledger export.
        export = client.get("/staff/export/")
        assert export.status_code == 200
        b"".join(export.streaming_content)
        # A repeat by the same number (matched by digest).
        assert (
            services.petition_register(
                actor=clerk,
                channel="phone",
                category=categories["infrastructure"],
                region=world.region("东一村"),
                title="又塌了",
                content="村道又塌方。",
                complainant_name="字红梅",
                complainant_id_number=NUMBER,
            ).petition.repeat_of_id
            == pk
        )

    assert len(queries) > 20 and any("INSERT" in q["sql"] for q in queries.captured_queries)
    records = every_log_record.lines
    assert any(line.startswith("django.db.backends") for line in records), "SQL was not logged"
    # The SQL parameters are logged too: what the INSERT carried was the ciphertext.
    assert any(line.startswith("django.db.backends") and "gAAAA" in line for line in records)
    assert any(line.startswith("django.request") for line in records), "the 400 was not logged"
    for number in (NUMBER, second, bad):
        for form in forms_of(number):
            leaked = [line for line in records if form in line]
            assert not leaked, f"{form!r} logged: {leaked[0][:300]}"
    for query in queries.captured_queries:
        assert not any(form in query["sql"] for form in forms_of(NUMBER) + forms_of(second))


# --- The migration ------------------------------------------------------------------------------


def _migrate(*target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(list(target) or executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_numbers_already_stored_and_reverses(register):
    pk = register().petition.pk
    try:
        _migrate(("petitions", "0007_audit_trigger"))
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE petitions_petition SET complainant_id_number = %s WHERE id = %s", [NUMBER.lower(), pk]
            )
        _migrate()  # forward: encrypted in place, digest filled
        stored, digest = raw_column(pk)
        assert stored.startswith("gAAAA") and digest == id_number_digest(NUMBER)
        assert Petition.objects.get(pk=pk).complainant_id_number == NUMBER

        _migrate(("petitions", "0007_audit_trigger"))  # back: plain again
        with connection.cursor() as cursor:
            cursor.execute("SELECT complainant_id_number FROM petitions_petition WHERE id = %s", [pk])
            assert cursor.fetchone()[0] == NUMBER
    finally:
        _migrate()
    assert raw_column(pk)[0].startswith("gAAAA")


def test_a_number_whose_key_is_gone_is_reported_and_kept(register, settings, caplog):
    pk = register(complainant_id_number=NUMBER).petition.pk
    stored = raw_column(pk)[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with caplog.at_level(logging.WARNING, logger="petitions.idnumbers"):
        assert Petition.objects.get(pk=pk).complainant_id_number == stored
    assert "missing from FIELD_ENCRYPTION_KEY" in caplog.text


def test_a_malformed_key_stops_the_start_up():
    import os
    import subprocess
    import sys

    env = {**os.environ, "FIELD_ENCRYPTION_KEY": "not-a-key", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0 and "FIELD_ENCRYPTION_KEY must be Fernet keys" in result.stderr


def test_without_a_configured_key_one_is_generated_once_and_kept(tmp_path):
    """In a DEBUG run (`make run`); production refuses to start instead (tests/test_platform.py)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "FIELD_ENCRYPTION_KEY"}
    env |= {"SUQIU_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true"}
    script = "import django; django.setup(); from django.conf import settings; print(settings.FIELD_ENCRYPTION_KEYS)"

    def keys() -> str:
        return subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()

    first = keys()
    assert first == keys()  # a restart reads the same key
    path = tmp_path / "field_encryption_key"
    assert path.read_text().strip() in first and path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".field_encryption_key")] == []


def _gb11643(first17: str) -> str:
    """The number with its check character (GB 11643), computed here, not by the service."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


@pytest.mark.parametrize(
    "first17",
    [
        "11010519490230002",  # born on 30 February
        "11010519491331002",  # in a thirteenth month
        "00000019491231002",  # in no region
        "99010519491231002",  # in a province that does not exist
    ],
)
def test_a_number_whose_check_character_fits_but_whose_date_or_region_cannot_be_is_refused(
    api, world, categories, first17
):
    number = _gb11643(first17)
    api.force_authenticate(world.users["clerk"])
    body = {
        "channel": "visit",
        "category": "infrastructure",
        "region": world.region("东一村").code,
        "title": "村道塌方",
        "content": "村道雨后塌方。",
        "complainant_name": "字红梅",
        "complainant_id_number": number,
    }
    before = Petition.objects.count()
    answer = api.post(CASES, body, format="json")
    assert answer.status_code == 400 and "complainant_id_number" in answer.json(), answer.content
    assert Petition.objects.count() == before
    body["complainant_id_number"] = _gb11643("11010519491231002")
    assert api.post(CASES, body, format="json").status_code == 201
