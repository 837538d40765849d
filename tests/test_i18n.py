"""Chinese is complete and compiled; the catalogue holds every string in the source."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def test_every_string_has_a_chinese_translation():
    catalogue = polib.pofile(str(PO))
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


def test_the_compiled_catalogue_matches_the_source():
    source = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in polib.pofile(str(PO)) if e.translated()}
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in polib.mofile(str(MO))}
    compiled = {key: value for key, value in compiled.items() if key[1]}  # drop the header entry
    assert compiled == source, "run `make messages` and commit locale/"


def test_the_catalogue_holds_every_string_in_the_source(tmp_path):
    """makemessages over a copy of the code finds no msgid missing from the catalogue."""
    if not shutil.which("xgettext"):
        if os.environ.get("SUQIU_REQUIRE_GETTEXT"):
            pytest.fail("GNU gettext (xgettext) is required in CI")
        pytest.skip("GNU gettext is not installed")
    copy = tmp_path / "src"
    ignore = shutil.ignore_patterns(".venv", "var", "static", "staticfiles", "tests", ".git", "__pycache__", "*.mo")
    shutil.copytree(ROOT, copy, ignore=ignore)
    env = {**os.environ, "SUQIU_VAR_DIR": str(tmp_path / "var")}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--ignore=.venv"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = {(e.msgctxt, e.msgid) for e in polib.pofile(str(copy / PO.relative_to(ROOT)))}
    committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(PO))}
    assert sorted(m for _c, m in fresh - committed) == [], "run `make messages` and translate the new strings"


@pytest.mark.django_db
def test_the_attachments_help_follows_the_readers_language(client, world):
    # Built once when the form class loads, the help stayed in the language of the first
    # request ("最多 5 个文件：JPEG、PNG、WebP 或 PDF。" on the English page).
    assert "最多 5 个文件：JPEG、PNG、WebP 或 PDF。" in client.get("/submit/?county=990121000000").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/submit/?county=990121000000").content.decode()
    assert "Up to 5 files: JPEG, PNG, WebP or PDF." in page and "最多 5 个文件" not in page


@pytest.mark.django_db
def test_english_form_labels_begin_with_a_capital(client, world):
    # The labels' msgids are lower-case, as Django's verbose names are; the forms show them
    # in sentence case ("complainant's name" read as a fragment on the English intake page).
    client.force_login(world.users["clerk"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/staff/intake/").content.decode()
    assert ">Complainant&#x27;s name<" in page or ">Complainant's name<" in page
    assert ">complainant" not in page


def test_no_translated_string_hides_inside_an_f_string():
    """xgettext does not read inside f-strings: `f"{_('…')}"` is never put in the catalogue, so
    it stays English on the Chinese pages ("甲县Grievances monthly report2025-03.docx")."""
    inside = re.compile(r"""\bf(["'])(?:(?!\1).)*\{\s*_\(""")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for app in ("config", "stations", "petitions", "evaluations", "grievances", "integrations")
        for path in (ROOT / app).rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if inside.search(line)
    ]
    assert found == []
