"""How fast is the inbox on a big client, and the agency queue across many clients?

    .venv/bin/python bin/services.py run -- .venv/bin/python bench/inbox.py [--quick]

Seeds (once; reused by later runs) a database of its own, `parley_bench`:
- one client with 1,000,000 interactions (100,000 with --quick) in about half as many
  conversations: comments, direct messages, mentions, reviews, likes, shares and follows in
  en/de/pl/ru, every status, a fifth of them tagged, ~200,000 people;
- 1,000 further clients (100 with --quick) with 300 open items each in the agency queue's
  index. Those clients have no schema: the queue must never need one.

Then measures server time (the whole Django stack, in-process, no network) over 200
requests each: the inbox list partial for the default view, 5 filter combinations and a
page 20 deep; the conversation view; search; the agency queue (its htmx partial and the
full page). It counts SQL queries per request and times the raw SQL of the default list
page to print the ratio. Last line: one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from html import unescape as html_unescape
from pathlib import Path
from typing import Any
from urllib.parse import unquote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
os.environ["PARLEY_DB_NAME"] = "parley_bench"
os.environ["PARLEY_ALLOWED_HOSTS"] = "testserver"

import django
import psycopg

REQUESTS = 200
OLDER = re.compile(r'href="[^"]*before=([^"&]+)"')
BENCH_SLUG = "bench-inbox"
QUEUE_ITEMS_PER_CLIENT = 300
PASSWORD = "bench-password"
# Raise when the seed's shape changes: a database seeded by another version is seeded again.
SEED_VERSION = 2


def ensure_database() -> None:
    """Create parley_bench if missing (before Django connects to it)."""
    params = {
        "host": os.environ.get("PARLEY_DB_HOST", "127.0.0.1"),
        "port": os.environ.get("PARLEY_DB_PORT", "5432"),
        "user": os.environ.get("PARLEY_DB_USER", "postgres"),
        "password": os.environ.get("PARLEY_DB_PASSWORD", ""),
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = 'parley_bench'"
        ).fetchone()
        if not exists:
            admin.execute("CREATE DATABASE parley_bench")


ensure_database()
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_tenants.utils import schema_context, tenant_context  # noqa: E402

from accounts.models import Agency, AgencyMembership, User  # noqa: E402
from accounts.roles import AgencyRole  # noqa: E402
from clients.models import Client  # noqa: E402
from clients.services import connect_account, create_client  # noqa: E402

settings.DEBUG = False  # no query log: time what production would run

TEXTS = {
    "en": [
        "Is this available in blue?",
        "My order never arrived and nobody answers my emails",
        "Love the new collection!",
        "Do you ship to Ireland?",
        "Charged twice for the same order, please fix this",
        "What are your opening hours on Sunday?",
        "@friend look at this",
        "Terrible service, I want a refund",
        "Thanks for the quick help",
        "How long does delivery take?",
    ],
    "de": [
        "Ist die Jacke auch in Größe M verfügbar?",
        "Meine Bestellung ist seit zehn Tagen unterwegs",
        "Die Schuhe sind zu klein, kann ich sie umtauschen?",
        "Super Qualität, danke!",
        "Wann öffnet der Laden am Samstag?",
        "Ich warte immer noch auf meine Rückerstattung",
        "Liefern Sie auch nach Österreich?",
        "Der Kundenservice ist eine Katastrophe",
        "Gibt es Rabatt für Studenten?",
        "Vielen Dank für die schnelle Antwort",
    ],
    "pl": [
        "Czy ten rower jest dostępny w rozmiarze L?",
        "Gdzie jest moja przesyłka?",
        "Świetny sklep, polecam!",
        "Zamówienie przyszło uszkodzone",
        "Czy wysyłacie za granicę?",
        "Jak długo trwa dostawa?",
        "Nikt nie odpowiada na moje maile",
        "Dziękuję za pomoc",
        "Kiedy będzie nowa kolekcja?",
        "Chcę zwrócić towar",
    ],
    "ru": [
        "Где моя доставка?",
        "Есть ли этот цвет в наличии?",
        "Спасибо, всё пришло вовремя",
        "Ужасный сервис, верните деньги",
        "Вы доставляете в Казахстан?",
        "Сколько стоит доставка?",
        "Заказ пришёл не тот",
        "Отличное качество!",
        "Когда откроется магазин?",
        "Почему никто не отвечает?",
    ],
}
# (kind, share in percent); the rest of the mix follows from it.
KINDS = [
    ("comment", 50),
    ("direct_message", 20),
    ("mention", 8),
    ("review", 5),
    ("like", 9),
    ("share", 4),
    ("follow", 3),
    ("unfollow", 1),
]


def seed_name() -> str:
    return f"Bench Inbox (seed {SEED_VERSION})"


def conversation_count(interactions: int) -> int:
    """About two messages per conversation. Odd, so that the every-tenth outbound message
    (i % 10 == 0) lands in conversations that also hold inbound ones, as page replies do."""
    return interactions // 2 - 1 if (interactions // 2) % 2 == 0 else interactions // 2


# A multiplicative hash of a row number (with a salt), as SQL: spreads values evenly and
# independently of other columns derived the same way with another salt.
MIX = "(({} + {}) * 2654435761 % 4294967291)"


def sql_case(expression: str, values: list[str]) -> str:
    """CASE expression % len(values) WHEN 0 THEN values[0] ... as SQL text."""
    whens = " ".join(f"WHEN {index} THEN '{value}'" for index, value in enumerate(values))
    return f"(CASE ({expression}) % {len(values)} {whens} END)"


def kind_case(expression: str) -> str:
    cases, upper = [], 0
    for kind, share in KINDS:
        upper += share
        cases.append(f"WHEN ({expression}) % 100 < {upper} THEN '{kind}'")
    return f"(CASE {' '.join(cases)} END)"


def text_case(language_expr: str, index_expr: str) -> str:
    parts = []
    for language, texts in TEXTS.items():
        quoted = ", ".join("'" + t.replace("'", "''") + "'" for t in texts)
        parts.append(f"WHEN '{language}' THEN (ARRAY[{quoted}])[1 + ({index_expr}) % 10]")
    return f"(CASE {language_expr} {' '.join(parts)} END)"


def seed(interactions: int, queue_clients: int) -> tuple[Client, User]:
    call_command("migrate_schemas", "--shared", "--executor=standard", verbosity=0)
    agency, _ = Agency.objects.get_or_create(slug="bench-agency", defaults={"name": "Bench"})
    user = User.objects.filter(email="bench@bench.test").first()
    if user is None:
        user = User.objects.create_user("bench@bench.test", PASSWORD, full_name="Bench Agent")
        AgencyMembership.objects.create(user=user, agency=agency, role=AgencyRole.OWNER)
    client = Client.objects.filter(slug=BENCH_SLUG).first()
    if client is None:
        client = create_client(agency=agency, name="Bench Inbox", slug=BENCH_SLUG)
    else:
        call_command(
            "migrate_schemas",
            "--schema",
            client.schema_name,
            "--executor=standard",
            verbosity=0,
        )
    with tenant_context(client):
        from inbox.models import Conversation, Interaction

        seeded = (Interaction.objects.count(), Conversation.objects.count(), client.name)
        wanted = (interactions, conversation_count(interactions), seed_name())
        if seeded != wanted:
            _seed_inbox(client, interactions)
            Client.objects.filter(pk=client.pk).update(name=seed_name())
        if Conversation.objects.filter(
            search_document__isnull=True, last_inbound_at__isnull=False
        ).exists():
            _index_for_search(client)
        with connection.cursor() as cursor:
            # Fresh planner statistics for every table, as autovacuum keeps them in production.
            cursor.execute("ANALYZE")
    _seed_queue(agency, client, queue_clients)
    return client, user


def _seed_inbox(client: Client, interactions: int) -> None:
    started = time.perf_counter()
    schema = client.schema_name
    accounts = [
        connect_account(
            client=client,
            platform=platform,
            external_account_id=f"bench-{platform}",
            name=f"Bench {platform}",
            access_token="bench-token",
        ).pk
        for platform in ("facebook", "instagram", "messenger", "x")
    ]
    conversations = conversation_count(interactions)
    contacts = max(interactions // 5, 1)
    account_array = "ARRAY[" + ",".join(map(str, accounts)) + "]"
    platform_case = sql_case("c", ["facebook", "instagram", "messenger", "x"])
    # Attributes come from different mixes of the row number, so that no two are correlated
    # (a real inbox has no rule like "every German message is on Instagram").
    with connection.cursor() as cursor:
        cursor.execute(f"SET search_path = {schema}, public")
        for table in ("interaction", "conversation_tags", "conversation", "contact", "tag"):
            cursor.execute(f"TRUNCATE inbox_{table} CASCADE")
        cursor.execute("DELETE FROM public.clients_workitem WHERE client_id = %s", [client.pk])
        cursor.execute(
            f"""
            INSERT INTO inbox_contact (platform, external_id, name, handle, avatar_url,
                follower_count, is_verified, is_vip, first_seen_at, last_seen_at, notes)
            SELECT 'facebook', 'bench-' || g,
                (ARRAY['Jane Doe','Alex Kim','Lukas Weber','Anna Kowalska','Ivan Petrov',
                       'Maria Rossi','Zofia Nowak','Olga Smirnova'])[1 + g % 8] || ' ' || g,
                'user' || g, '', (g * 7919) % 50000, g % 97 = 0, g % 501 = 0, now(), now(), ''

            FROM generate_series(1, {contacts}) g
            """
        )
        cursor.execute("SELECT min(id) FROM inbox_contact")
        first_contact = cursor.fetchone()[0]
        statuses = ["new"] * 4 + ["open"] * 2 + ["pending", "resolved", "resolved", "spam"]
        cursor.execute(
            f"""
            INSERT INTO inbox_conversation (platform, connected_account_id, thread_key,
                post_external_id, permalink, kind, contact_id, status, last_activity_at,
                needs_reply, sentiment, language, priority, approval_required_by, created_at)
            SELECT {platform_case}, ({account_array})[1 + c % 4], 'bench-' || c, '', '',
                {kind_case("c * 37")}, {first_contact} + (c * 13) % {contacts},
                {sql_case("c * 7", statuses)}, now(), false, '', '',
                {sql_case(MIX.format("c", 3), ["normal"] * 17 + ["high", "high", "urgent"])},
                '', now()
            FROM generate_series(1, {conversations}) c
            """
        )
        cursor.execute("SELECT min(id) FROM inbox_conversation")
        first_conversation = cursor.fetchone()[0]
        language = sql_case(MIX.format("c.id", 5), ["en", "de", "pl", "ru"])
        cursor.execute(
            f"""
            INSERT INTO inbox_interaction (platform, connected_account_id, conversation_id,
                contact_id, kind, direction, external_id, parent_external_id, text,
                attachments, permalink, occurred_at, platform_updated_at, received_at,
                is_hidden, is_deleted, needs_reply, language, sentiment, is_spam, is_abusive,
                recommendation, reaction)
            SELECT c.platform, c.connected_account_id, c.id, c.contact_id, c.kind,
                CASE WHEN i % 10 = 0 THEN 'outbound' ELSE 'inbound' END,
                'bench-' || i, '', {text_case(language, "i")}, '[]', '',
                now() - ({interactions} - i) * interval '2 seconds',
                now() - ({interactions} - i) * interval '2 seconds', now(),
                false, false,
                c.kind IN ('comment', 'direct_message', 'mention', 'review') AND i % 3 <> 0,
                {language}, {
                sql_case(
                    "i",
                    [
                        "negative",
                        "negative",
                        "neutral",
                        "neutral",
                        "neutral",
                        "positive",
                        "positive",
                    ],
                )
            },
                false, false, '', ''
            FROM generate_series(1, {interactions}) i
            JOIN inbox_conversation c ON c.id = {first_conversation} + i % {conversations}
            """
        )
        cursor.execute(
            """
            UPDATE inbox_conversation c SET latest_inbound_id = l.id,
                last_inbound_at = l.occurred_at, sentiment = l.sentiment,
                language = l.language, last_activity_at = l.occurred_at
            FROM (SELECT DISTINCT ON (conversation_id) conversation_id, id, occurred_at,
                         sentiment, language
                  FROM inbox_interaction WHERE direction = 'inbound'
                  ORDER BY conversation_id, occurred_at DESC, id DESC) l
            WHERE l.conversation_id = c.id
            """
        )
        cursor.execute(
            """
            UPDATE inbox_conversation c SET needs_reply = true
            WHERE EXISTS (SELECT 1 FROM inbox_interaction i
                          WHERE i.conversation_id = c.id AND i.needs_reply)
            """
        )
        cursor.execute(
            "INSERT INTO inbox_tag (name, color) SELECT 'tag ' || g, '#57606a' "
            "FROM generate_series(1, 10) g"
        )
        cursor.execute(
            f"""
            INSERT INTO inbox_conversation_tags (conversation_id, tag_id)
            SELECT c.id, (SELECT min(id) FROM inbox_tag) + {MIX.format("c.id", 7)} % 10
            FROM inbox_conversation c WHERE {MIX.format("c.id", 11)} % 20 = 0
            """
        )
        cursor.execute(
            """
            INSERT INTO public.clients_workitem (client_id, conversation_id, interaction_id,
                status, priority, priority_rank, needs_reply, platform, kind, sentiment,
                language, contact_name, snippet, last_inbound_at, escalated, updated_at)
            SELECT %s, c.id, c.latest_inbound_id, c.status, c.priority,
                CASE c.priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 ELSE 1 END,
                c.needs_reply, c.platform, c.kind, c.sentiment, c.language, p.name,
                left(i.text, 280), c.last_inbound_at, false, now()
            FROM inbox_conversation c
            JOIN inbox_contact p ON p.id = c.contact_id
            LEFT JOIN inbox_interaction i ON i.id = c.latest_inbound_id
            WHERE c.status IN ('new', 'open', 'pending')
              AND (c.needs_reply OR c.status <> 'new')
            """,
            [client.pk],
        )
    print(f"seeded {interactions:,} interactions in {time.perf_counter() - started:.0f} s")


def _index_for_search(client: Client) -> None:
    """Each conversation's search document, as refresh_conversation keeps it."""
    from inbox.workflow import SEARCH_DOCUMENT_SQL

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"SET search_path = {client.schema_name}, public")
        cursor.execute(SEARCH_DOCUMENT_SQL)
        for table in ("inbox_conversation", "inbox_interaction", "inbox_contact"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"indexed conversations for search in {time.perf_counter() - started:.0f} s")


def _seed_queue(agency: Agency, bench_client: Client, clients: int) -> None:
    """Clients without schemas, and their open items in the public index only."""
    existing = Client.objects.filter(slug__startswith="bench-queue-").count()
    if existing == clients:
        return
    started = time.perf_counter()
    with schema_context("public"), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM clients_workitem WHERE client_id IN "
            "(SELECT id FROM clients_client WHERE slug LIKE 'bench-queue-%%')"
        )
        Client.objects.filter(slug__startswith="bench-queue-").delete()
        Client.objects.bulk_create(
            Client(
                schema_name=f"bench_queue_{n}",
                slug=f"bench-queue-{n}",
                name=f"Queue Client {n:04d}",
                agency=agency,
            )
            for n in range(clients)
        )
        kinds = sql_case("g", ["comment", "direct_message", "mention", "review"])
        cursor.execute(
            f"""
            INSERT INTO clients_workitem (client_id, conversation_id, interaction_id, status,
                priority, priority_rank, needs_reply, platform, kind, sentiment, language,
                contact_name, snippet, last_inbound_at, sla_due_at, escalated, updated_at)
            SELECT c.id, g, g, {sql_case("g", ["new", "new", "open", "pending"])}, 'normal',
                1, g % 4 <> 3, 'facebook', {kinds},
                {sql_case("g", ["negative", "neutral", "positive"])},
                {sql_case("g", ["en", "de", "pl", "ru"])}, 'Person ' || g,
                'Where is my order number ' || g || '?',
                now() - (g * 97 % 100000) * interval '1 minute',
                CASE WHEN g % 3 = 0 THEN now() + (g % 600) * interval '1 minute' END,
                g % 50 = 0, now()
            FROM clients_client c CROSS JOIN generate_series(1, {QUEUE_ITEMS_PER_CLIENT}) g
            WHERE c.slug LIKE 'bench-queue-%%'
            """
        )
        cursor.execute("VACUUM ANALYZE clients_workitem")
    print(f"seeded {clients:,} queue clients in {time.perf_counter() - started:.0f} s")


# --- measuring ---------------------------------------------------------------------------


def measure(
    http: HttpClient, name: str, urls: Callable[[int], tuple[str, dict[str, str]]], **headers: str
) -> dict[str, float]:
    """p50/p99 server time over REQUESTS requests, and the most queries one took."""
    for warm in range(5):
        url, params = urls(warm)
        http.get(url, params, **headers)
    timings = []
    for n in range(REQUESTS):
        url, params = urls(n)
        started = time.perf_counter()
        response = http.get(url, params, **headers)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{name}: {url} {params} answered {response.status_code}")
    queries = 0
    for n in range(10):
        url, params = urls(n)
        with CaptureQueriesContext(connection) as captured:
            http.get(url, params, **headers)
        queries = max(queries, len(captured.captured_queries))
    timings.sort()
    figures = {
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(timings[int(len(timings) * 0.99) - 1], 2),
        "queries": queries,
    }
    print(
        f"{name:<28} p50 {figures['p50_ms']:>7.2f} ms   p99 {figures['p99_ms']:>7.2f} ms   "
        f"{queries} queries"
    )
    return figures


def raw_list_sql_p50(http: HttpClient, url: str, headers: dict[str, str]) -> float:
    """The list page's own SQL (the page query), timed straight on the connection."""
    with CaptureQueriesContext(connection) as captured:
        http.get(url, {}, **headers)
    page_sql = next(q["sql"] for q in captured.captured_queries if "inbox_conversation" in q["sql"])
    client = Client.objects.get(slug=BENCH_SLUG)
    timings = []
    with connection.cursor() as cursor:
        cursor.execute(f"SET search_path = {client.schema_name}, public")
        for _ in range(REQUESTS):
            started = time.perf_counter()
            cursor.execute(page_sql)
            cursor.fetchall()
            timings.append((time.perf_counter() - started) * 1000)
        cursor.execute("SET search_path = public")
    return round(statistics.median(timings), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 interactions, 100 clients")
    args = parser.parse_args()
    interactions, queue_clients = (100_000, 100) if args.quick else (1_000_000, 1_000)
    client, user = seed(interactions, queue_clients)
    connection.set_schema_to_public()
    http = HttpClient()
    http.force_login(user)
    inbox = f"/clients/{client.slug}/inbox/"
    results = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
    with tenant_context(client):
        from inbox.models import Conversation

        conversation_ids = list(
            Conversation.objects.filter(last_inbound_at__isnull=False)
            .order_by("?")
            .values_list("id", flat=True)[:REQUESTS]
        )
        tag_id = Conversation.tags.through.objects.values_list("tag_id", flat=True).first()
    connection.set_schema_to_public()

    # A cursor 20 pages deep into the default view.
    cursor_params: dict[str, str] = {}
    for _ in range(20):
        html = http.get(inbox, cursor_params, **results).content.decode()
        cursor_params = {"before": unquote(html_unescape(OLDER.search(html)[1]))}
    filters = [
        {"view": "all"},
        {"sentiment": "negative", "kind": "comment"},
        {"view": "open", "language": "de", "platform": "instagram"},
        {"assignee": "none", "priority": "urgent", "sort": "oldest"},
        {"view": "all", "tag": str(tag_id), "since": "2020-01-01"},
    ]
    words = ["order", "Bestellung", "przesyłka", "доставка", "refund", "Jane", "blue"]
    figures: dict[str, Any] = {"interactions": interactions, "queue_clients": queue_clients}
    figures["list"] = measure(http, "inbox list (default)", lambda n: (inbox, {}), **results)
    for index, params in enumerate(filters):
        figures[f"filter_{index + 1}"] = measure(
            http, f"inbox list {params}"[:28], lambda n, p=params: (inbox, p), **results
        )
    figures["deep_page"] = measure(
        http, "inbox list, page 21", lambda n: (inbox, cursor_params), **results
    )
    figures["conversation"] = measure(
        http,
        "conversation",
        lambda n: (f"{inbox}conversations/{conversation_ids[n % len(conversation_ids)]}/", {}),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="workspace",
    )
    figures["search"] = measure(
        http, "search", lambda n: (inbox, {"q": words[n % len(words)]}), **results
    )
    figures["agency_queue"] = measure(
        http,
        "agency queue (partial)",
        lambda n: ("/", {}),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="queue",
    )
    figures["agency_queue_page"] = measure(http, "agency queue (page)", lambda n: ("/", {}))
    raw = raw_list_sql_p50(http, inbox, results)
    list_pages = [figures["list"], figures["deep_page"]] + [
        figures[f"filter_{n}"] for n in range(1, 6)
    ]
    summary = {
        "list_p50_ms": figures["list"]["p50_ms"],
        "list_p99_ms": figures["list"]["p99_ms"],
        "filters_p50_ms": max(figures[f"filter_{n}"]["p50_ms"] for n in range(1, 6)),
        "filters_p99_ms": max(figures[f"filter_{n}"]["p99_ms"] for n in range(1, 6)),
        "deep_page_p50_ms": figures["deep_page"]["p50_ms"],
        "raw_sql_p50_ms": raw,
        "ratio_to_raw": round(figures["list"]["p50_ms"] / raw, 1) if raw else None,
        "max_queries": max(page["queries"] for page in list_pages),
        "conversation_p50_ms": figures["conversation"]["p50_ms"],
        "conversation_queries": figures["conversation"]["queries"],
        "search_p50_ms": figures["search"]["p50_ms"],
        "agency_queue_p50_ms": figures["agency_queue"]["p50_ms"],
        "agency_queue_page_p50_ms": figures["agency_queue_page"]["p50_ms"],
        "interactions": interactions,
        "queue_clients": queue_clients,
        "details": figures,
    }
    print(f"raw SQL of the default list page: p50 {raw} ms")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
