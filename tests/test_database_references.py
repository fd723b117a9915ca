"""Which references PostgreSQL checks: every foreign key of the project's models has its
database constraint except the few ingestion writes unchecked (clients.models.
UNCHECKED_REFERENCES), and what those constraints protect still holds."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction

from clients.models import UNCHECKED_REFERENCES, Client
from tests.conftest import Cast
from tests.factories import make_comment

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("accounts", "clients", "inbox", "guidelines", "escalation")


def constrained_columns(schema: str) -> set[tuple[str, str]]:
    """(table, column) of every foreign-key constraint in `schema`."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, a.attname
            FROM pg_constraint c
            JOIN pg_namespace n ON n.oid = c.connamespace
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
            WHERE c.contype = 'f' AND n.nspname = %s
            """,
            [schema],
        )
        return {(table.rsplit(".", 1)[-1], column) for table, column in cursor.fetchall()}


def test_every_foreign_key_is_checked_by_postgresql_but_the_unchecked_ones(
    in_client_a: Client,
) -> None:
    constrained = constrained_columns("public") | constrained_columns(in_client_a.schema_name)
    unchecked, missing = set(), set()
    for app in PROJECT_APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.fields:
                if not isinstance(field, models.ForeignKey):
                    continue
                name = f"{model._meta.label}.{field.name}"
                column = (model._meta.db_table, field.column)
                if name in UNCHECKED_REFERENCES:
                    unchecked.add(name)
                    assert column not in constrained, name
                elif column not in constrained:
                    missing.add(name)
    assert unchecked == set(UNCHECKED_REFERENCES)
    assert missing == set()


def test_an_account_cannot_be_deleted_from_under_its_history(
    cast: Cast, in_client_a: Client
) -> None:
    """Interactions no longer check their account; their conversations still do."""
    make_comment(cast.page_a)
    with transaction.atomic():
        cast.page_a.delete()
        with pytest.raises(IntegrityError):
            connection.check_constraints()
        transaction.set_rollback(True)
