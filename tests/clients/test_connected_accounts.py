from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from clients.crypto import _fernet, decrypt_token, encrypt_token
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def test_tokens_are_encrypted_at_rest(cast: Cast) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "select access_token_encrypted from public.clients_connectedaccount where id = %s",
            [cast.page_a.pk],
        )
        [stored] = cursor.fetchone()

    assert "page-token-a" not in stored
    assert decrypt_token(stored) == "page-token-a"


def test_rotated_key_still_decrypts_old_tokens(settings: Any) -> None:
    old = encrypt_token("secret-token")
    settings.TOKEN_ENCRYPTION_KEYS = [
        "bmV3LWtleS1mb3Itcm90YXRpb24tdGVzdHMtMzJieXQ=",
        *settings.TOKEN_ENCRYPTION_KEYS,
    ]
    assert decrypt_token(old) == "secret-token"


def test_missing_key_fails_loudly(settings: Any) -> None:
    settings.TOKEN_ENCRYPTION_KEYS = []
    _fernet.cache_clear()
    with pytest.raises(ImproperlyConfigured, match="PARLEY_TOKEN_ENCRYPTION_KEYS"):
        encrypt_token("x")


def test_a_page_connected_to_one_client_cannot_be_connected_to_another(
    cast: Cast, session_clients: Any
) -> None:
    from clients.services import AccountConnectedElsewhere, connect_account

    with pytest.raises(AccountConnectedElsewhere):
        connect_account(
            client=session_clients.client_b,
            platform="facebook",
            external_account_id=cast.page_a.external_account_id,
            name="Stolen",
            access_token="other",
        )
    cast.page_a.refresh_from_db()
    assert (cast.page_a.client_id, cast.page_a.name) == (
        session_clients.client_a.pk,
        "Client A Page",
    )


def test_reconnecting_a_page_replaces_its_token(cast: Cast, session_clients: Any) -> None:
    from clients.services import connect_account

    account = connect_account(
        client=session_clients.client_a,
        platform="facebook",
        external_account_id=cast.page_a.external_account_id,
        name="Client A Page",
        access_token="fresh-token",
    )
    assert account.pk == cast.page_a.pk
    assert decrypt_token(account.access_token_encrypted) == "fresh-token"
