from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client as HttpClient

from tests.conftest import PASSWORD, Cast

pytestmark = pytest.mark.django_db


def test_login_with_email_then_logout(client: HttpClient, cast: Cast) -> None:
    response = client.post(
        "/accounts/login/", {"username": "Agent-A@agency-one.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200

    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_login_keeps_the_requested_page(client: HttpClient, cast: Cast) -> None:
    response = client.post(
        "/accounts/login/?next=/clients/client-a/inbox/",
        {
            "username": "agent-a@agency-one.test",
            "password": PASSWORD,
            "next": "/clients/client-a/inbox/",
        },
    )
    assert response["Location"] == "/clients/client-a/inbox/"


def test_wrong_password_is_refused_with_a_message(client: HttpClient, cast: Cast) -> None:
    response = client.post(
        "/accounts/login/", {"username": "agent-a@agency-one.test", "password": "nope"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_login_out(client: HttpClient, cast: Cast) -> None:
    for _ in range(3):  # AXES_FAILURE_LIMIT in test settings
        client.post("/accounts/login/", {"username": "agent-a@agency-one.test", "password": "x"})

    response = client.post(
        "/accounts/login/", {"username": "agent-a@agency-one.test", "password": PASSWORD}
    )

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email(client: HttpClient, cast: Cast) -> None:
    response = client.post("/accounts/password-reset/", {"email": "agent-a@agency-one.test"})
    assert response.status_code == 302
    [message] = mail.outbox
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body)
    assert link is not None

    form_page = client.get(link.group(1), follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a much better passphrase", "new_password2": "a much better passphrase"},
    )

    assert response.status_code == 302
    signed_in = client.post(
        "/accounts/login/",
        {"username": "agent-a@agency-one.test", "password": "a much better passphrase"},
    )
    assert signed_in.status_code == 302


def test_password_reset_for_unknown_address_sends_nothing_and_says_the_same(
    client: HttpClient, cast: Cast
) -> None:
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert mail.outbox == []
