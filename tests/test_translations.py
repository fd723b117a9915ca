"""The UI speaks en, de, pl and ru: catalogs complete, compiled, and used per user."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.test import Client as HttpClient
from django.utils import translation

from tests.conftest import Cast

LOCALE = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ["de", "pl", "ru"]


def untranslated(po_file: Path) -> list[str]:
    entries = po_file.read_text().split("\n\n")[1:]  # the first block is the header
    missing = []
    for entry in entries:
        if entry.lstrip().startswith("#~"):
            continue  # obsolete
        msgid = "".join(re.findall(r'^(?:msgid )?"(.*)"$', entry.split("msgstr")[0], re.M))
        msgstrs = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', entry + "\n", re.M)
        if msgid and any(not "".join(re.findall(r'"(.*)"', s)) for s in msgstrs):
            missing.append(msgid)
    return missing


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_is_complete(language: str) -> None:
    po_file = LOCALE / language / "LC_MESSAGES" / "django.po"
    assert untranslated(po_file) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_holds_every_message_of_its_source(language: str) -> None:
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)
    sources = re.findall(r'^msgid "(.+)"$', (folder / "django.po").read_text(), re.M)
    stale = [msgid for msgid in sources if catalog.gettext(msgid.replace('\\"', '"')) == msgid]
    # A few messages translate to themselves (names, "Status"); everything else must differ.
    assert set(stale) <= {
        "Parley",
        "Agent",
        "Manager",
        "Status",
        "Spam",
        "Name",
        "Admin",
        "E-mail",
        "Emoji",
        "Neutral",
        "Normal",
        "VIP",
        "Tag",
        "Team",
        "Teams",
        "spam",
    }


@pytest.mark.parametrize(
    ("language", "expected"), [("de", "Anmelden"), ("pl", "Zaloguj się"), ("ru", "Войти")]
)
def test_compiled_catalogs_translate(language: str, expected: str) -> None:
    with translation.override(language):
        assert translation.gettext("Sign in") == expected


@pytest.mark.django_db
def test_the_inbox_speaks_the_users_language(client: HttpClient, cast: Cast) -> None:
    cast.agent_a.language = "de"
    cast.agent_a.save()
    client.force_login(cast.agent_a)

    html = client.get("/clients/client-a/inbox/").content.decode()

    assert '<html lang="de">' in html
    assert "Posteingang" in html
    assert "Abmelden" in html


@pytest.mark.django_db
def test_a_users_language_does_not_outlive_the_request(client: HttpClient, cast: Cast) -> None:
    cast.agent_a.language = "ru"
    cast.agent_a.save()
    client.force_login(cast.agent_a)

    client.get("/clients/client-a/inbox/")

    assert translation.get_language() == "en"
