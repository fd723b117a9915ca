"""Writes on shared data: clients and their schemas, connected accounts, inbound events."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, Protocol

import orjson
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from accounts.models import Agency
from clients.crypto import decrypt_token, encrypt_token
from clients.models import Client, ConnectedAccount, Domain, InboundDelivery, InboundEvent
from clients.platforms import ACCOUNT_PLATFORM_OF_EVENT, get_connector, normalize_all
from clients.platforms.base import (
    NormalizedInteraction,
    PartialHistory,
    PermanentPlatformError,
    PlatformError,
    SplitEvent,
)

logger = logging.getLogger(__name__)

# After this many failed attempts an event is parked as failed for an operator to look at.
MAX_PROCESSING_ATTEMPTS = 5
# The most events one processing transaction takes (its own, and others still pending).
BATCH_LIMIT = 500


class ClientSlugTaken(ValueError):
    pass


class AccountConnectedElsewhere(ValueError):
    """The platform account is already connected to another client."""


def create_client(
    *, agency: Agency, name: str, slug: str, default_language: str = "en", time_zone: str = "UTC"
) -> Client:
    """Create a client and provision its schema (runs the tenant migrations).

    Raises ClientSlugTaken when the slug (which is also the schema name) is in use."""
    schema_name = "client_" + slug.replace("-", "_")
    with schema_context("public"):  # a tenant must be saved while on public
        if Client.objects.filter(slug=slug).exists() or Domain.objects.filter(domain=slug).exists():
            raise ClientSlugTaken(slug)
        client = Client(
            schema_name=schema_name,
            slug=slug,
            name=name,
            agency=agency,
            default_language=default_language,
            time_zone=time_zone,
        )
        client.save()
        Domain.objects.create(domain=slug, tenant=client, is_primary=True)
    return client


def connect_account(
    *,
    client: Client,
    platform: str,
    external_account_id: str,
    name: str,
    access_token: str,
    refresh_token: str = "",
    token_expires_at: dt.datetime | None = None,
) -> ConnectedAccount:
    """Connect (or reconnect) a platform account to a client, storing its tokens encrypted.

    Raises AccountConnectedElsewhere when another client holds the account: its history lives
    in that client's schema, so moving it silently would split one page across two clients."""
    with transaction.atomic():
        account, created = ConnectedAccount.objects.select_for_update().get_or_create(
            platform=platform,
            external_account_id=external_account_id,
            defaults={"client": client, "name": name},
        )
        if not created and account.client_id != client.pk:
            raise AccountConnectedElsewhere(external_account_id)
        account.name = name
        account.access_token_encrypted = encrypt_token(access_token)
        account.refresh_token_encrypted = encrypt_token(refresh_token) if refresh_token else ""
        account.token_expires_at = token_expires_at
        account.status = ConnectedAccount.Status.ACTIVE
        account.last_error = ""
        account.save()
    return account


def without_nul(value: Any) -> Any:
    """`value` with NUL characters removed from every string: PostgreSQL's text and jsonb
    cannot hold them, and a platform may send one (it would otherwise be a 500)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    return value


# One statement for any number of events, shared by the Django path below and the webhook
# receiver's group commit (clients/webhooks/receiver.py). The events travel as one JSON array
# (see `inbound_rows`): a single parameter, which costs far less to send than an array per
# column, each of whose elements the driver would have to escape. A retried delivery creates
# nothing twice: duplicates, within the statement too, are skipped.
STORE_INBOUND_SQL = f"""
    INSERT INTO public.{InboundEvent._meta.db_table}
        (platform, account_external_id, dedupe_key, payload, status, attempts, last_error,
         received_at)
    SELECT e.platform, e.account, e.dedupe_key, e.payload, 'pending', 0, '', now()
    FROM jsonb_to_recordset(%s::jsonb)
        AS e(platform text, account text, dedupe_key text, payload jsonb)
    ON CONFLICT ON CONSTRAINT inbound_event_unique_delivery DO NOTHING
    RETURNING id
"""  # noqa: S608 - the table name comes from the model; the values are a parameter


def inbound_rows(events: Sequence[SplitEvent]) -> str:
    """The parameter of STORE_INBOUND_SQL: the events as a JSON array of rows."""
    return json_rows(
        [
            {
                "platform": event.platform,
                "account": event.account_external_id,
                "dedupe_key": event.dedupe_key,
                "payload": event.payload,
            }
            for event in events
        ]
    )


def json_rows(rows: list[dict[str, Any]]) -> str:
    """Rows as a JSON array that jsonb accepts: a parameter for `jsonb_to_recordset`."""
    try:
        dumped = orjson.dumps(rows).decode()
    except orjson.JSONEncodeError:  # a lone surrogate ("\\ud800" in the delivery): not text
        dumped = json.dumps(rows, ensure_ascii=False).encode(errors="replace").decode()
    if "\\u0000" in dumped:  # JSON's NUL, which jsonb refuses: only then clean (slower)
        dumped = json.dumps(without_nul(json.loads(dumped)), ensure_ascii=False)
    return dumped


def joined_rows(documents: Sequence[str]) -> str:
    """Several `inbound_rows` documents as one (a group commit stores many deliveries)."""
    return "[" + ",".join(document[1:-1] for document in documents if document != "[]") + "]"


# The webhook receiver's storing: the deliveries of one group commit as one row of text
# (InboundDelivery says why), which `process_inbound_deliveries` turns into events.
STAGE_DELIVERIES_SQL = f"""
    INSERT INTO public.{InboundDelivery._meta.db_table}
        (events, event_count, last_error, received_at)
    VALUES (%s, %s, '', now())
    RETURNING id
"""  # noqa: S608 - the table name comes from the model; the values are parameters

# Deleting the rows and inserting their events is one statement, so one commit: an event is
# in exactly one of the two tables. The events keep the time their delivery was received.
# Rows already split (a task run twice, the sweep beside it) or parked are not there to take.
SPLIT_DELIVERIES_SQL = f"""
    WITH taken AS (
        DELETE FROM public.{InboundDelivery._meta.db_table}
        WHERE id = ANY(%s) AND last_error = ''
        RETURNING id, events, received_at
    )
    INSERT INTO public.{InboundEvent._meta.db_table}
        (platform, account_external_id, dedupe_key, payload, status, attempts, last_error,
         received_at)
    SELECT e.platform, e.account, e.dedupe_key, e.payload, 'pending', 0, '', taken.received_at
    FROM (SELECT * FROM taken ORDER BY id) AS taken,
        ROWS FROM (
            jsonb_to_recordset(taken.events::jsonb)
                AS (platform text, account text, dedupe_key text, payload jsonb)
        ) WITH ORDINALITY AS e(platform, account, dedupe_key, payload, n)
    ORDER BY taken.id, e.n
    ON CONFLICT ON CONSTRAINT inbound_event_unique_delivery DO NOTHING
    RETURNING id
"""  # noqa: S608 - the table names come from the models; the ids are a parameter


def split_inbound_deliveries(delivery_ids: Sequence[int]) -> list[int]:
    """Turn received deliveries into pending InboundEvents; return the new events' ids, in
    the order they arrived. Events already stored (a platform's retry) are skipped, as when
    storing directly. If PostgreSQL refuses the rows together, each is split alone, and one
    it refuses alone is parked with the error for an operator (the rest go on)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(SPLIT_DELIVERIES_SQL, [list(delivery_ids)])
            return sorted(row[0] for row in cursor.fetchall())
    except DatabaseError as error:
        if len(delivery_ids) > 1:
            logger.warning("Splitting %d deliveries together failed; one by one", len(delivery_ids))
            return [pk for one in delivery_ids for pk in split_inbound_deliveries([one])]
        logger.exception("Received delivery %s cannot be split; parked", delivery_ids[0])
        InboundDelivery.objects.filter(pk=delivery_ids[0]).update(
            last_error=(str(error).strip() or type(error).__name__)[:2000]
        )
        return []


# The worker's usual way with received deliveries (`process_inbound_deliveries`): the rows
# locked and read, their events routed in Python, then the rows deleted and their events
# stored as routing settled them, and ingested, all in one transaction.
READ_DELIVERIES_SQL = f"""
    SELECT id, events, received_at
    FROM public.{InboundDelivery._meta.db_table}
    WHERE id = ANY(%s) AND last_error = ''
    ORDER BY id
    FOR UPDATE
"""  # noqa: S608 - the table name comes from the model; the ids are a parameter

# Stored as it ends, an event is written once, where a pending row and its update wrote it
# twice, index entries and all. The events travel back as one document, as the receiver's do.
SETTLE_DELIVERIES_SQL = f"""
    WITH taken AS (
        DELETE FROM public.{InboundDelivery._meta.db_table} WHERE id = ANY(%s)
    )
    INSERT INTO public.{InboundEvent._meta.db_table}
        (platform, account_external_id, dedupe_key, payload, status, attempts, last_error,
         received_at, processed_at, client_id)
    SELECT e.platform, e.account, e.dedupe_key, e.payload, e.status,
        CASE WHEN e.status = 'pending' THEN 0 ELSE 1 END, '', e.received_at,
        CASE WHEN e.status = 'pending' THEN NULL ELSE now() END, e.client
    FROM jsonb_to_recordset(%s::jsonb) AS e(
        platform text, account text, dedupe_key text, payload jsonb, status text,
        received_at timestamptz, client bigint
    )
    ON CONFLICT ON CONSTRAINT inbound_event_unique_delivery DO NOTHING
    RETURNING id, platform, account_external_id, dedupe_key, status
"""  # noqa: S608 - the table names come from the models; the values are parameters


def process_inbound_deliveries(*, delivery_ids: Sequence[int]) -> None:
    """Turn received deliveries into interactions.

    Usually in one transaction (`_settle_deliveries`): a worker killed in it leaves the rows
    as they were, for the stale-event sweep. If it fails, nothing of it stays, and the rows
    are split into pending events instead, which are processed as any others: in batches of
    at most BATCH_LIMIT, an event that fails alone retried and then parked by itself."""
    try:
        with transaction.atomic():
            event_ids = _settle_deliveries(delivery_ids)
    except Exception:
        logger.exception(
            "Processing %d received deliveries failed; splitting them into events",
            len(delivery_ids),
        )
        event_ids = split_inbound_deliveries(delivery_ids)
    for start in range(0, len(event_ids), BATCH_LIMIT):
        process_inbound_events(event_ids=event_ids[start : start + BATCH_LIMIT])


class _Received(NamedTuple):
    """An event of a received delivery (a row of its `inbound_rows` document), not stored."""

    platform: str
    account: str
    dedupe_key: str
    payload: dict[str, Any]

    @property
    def account_external_id(self) -> str:
        return self.account


def _settle_deliveries(delivery_ids: Sequence[int]) -> list[int]:
    """Store the deliveries' events as routing settles them and ingest those that are new
    (a platform's retry adds nothing); delete the deliveries. Returns the ids of the events
    stored pending, to be processed after the commit: those of platforms whose events may
    need a fetch first, which must not happen inside a transaction."""
    with connection.cursor() as cursor:
        cursor.execute(READ_DELIVERIES_SQL, [list(delivery_ids)])
        rows = cursor.fetchall()
    if not rows:  # split or settled already (a task run twice), or parked
        return []
    received: list[tuple[_Received, dict[str, Any], str]] = []
    for _, document, received_at in rows:
        when = received_at.isoformat()
        received += [(_Received(**row), row, when) for row in decode_json(document)]
    accounts = _accounts_of(event for event, _, _ in received)
    enriching = _enriching_platforms()
    settled: list[dict[str, Any]] = []
    # What routing found for each event (nothing unless it is processed), by its identity.
    routed: dict[tuple[str, str, str], tuple[list[NormalizedInteraction], Any]] = {}
    for event, row, received_at in received:
        key = (event.platform, event.account_external_id, event.dedupe_key)
        if key in routed:  # the same event twice in these deliveries: stored once
            continue
        account = accounts.get((_account_platform(event), event.account_external_id))
        found: list[NormalizedInteraction] = []
        client_id = None
        if event.platform in enriching:
            status = InboundEvent.Status.PENDING
        else:
            status, found = _route(event, account)
            client_id = account.client_id if account else None
        routed[key] = (found, account)
        settled.append({**row, "status": status, "client": client_id, "received_at": received_at})
    with connection.cursor() as cursor:
        cursor.execute(
            SETTLE_DELIVERIES_SQL, [[delivery_id for delivery_id, *_ in rows], json_rows(settled)]
        )
        stored = cursor.fetchall()
    new = {(platform, account, key) for _, platform, account, key, _ in stored}
    _ingest([(found, account) for key, (found, account) in routed.items() if found and key in new])
    return sorted(pk for pk, *_, status in stored if status == InboundEvent.Status.PENDING)


def delivery_batches(
    deliveries: Sequence[tuple[int, int]],
) -> tuple[list[list[int]], list[tuple[int, int]]]:
    """Received deliveries, as (id, event count), grouped for processing tasks: the groups
    that hold at least BATCH_LIMIT events, and the deliveries left over (fewer events)."""
    groups: list[list[int]] = []
    group: list[tuple[int, int]] = []
    events = 0
    for delivery in deliveries:
        group.append(delivery)
        events += delivery[1]
        if events >= BATCH_LIMIT:
            groups.append([delivery_id for delivery_id, _ in group])
            group, events = [], 0
    return groups, group


def delivery_tasks(deliveries: Sequence[tuple[int, int]]) -> list[list[int]]:
    """All of `deliveries` grouped for processing tasks, what is left over in a last one."""
    groups, rest = delivery_batches(deliveries)
    return [*groups, [delivery_id for delivery_id, _ in rest]] if rest else groups


def schedule_delivery_processing(delivery_ids: Sequence[int]) -> None:
    """Queue `process_inbound_deliveries` for received deliveries (the webhook receiver
    publishes after its commit, so nothing here waits for one)."""
    from clients.tasks import process_inbound_deliveries_task

    if delivery_ids:
        process_inbound_deliveries_task.apply_async(
            (list(delivery_ids),),
            argsrepr=f"[{len(delivery_ids)} deliveries from {delivery_ids[0]}]",
        )


def prepare_publishing() -> None:
    """Do now what the first task a process publishes does on its way: finalize the Celery
    app (bind every task), make its result backend, open the broker connection. That was 60
    ms of Python (measured here, 40 of them the connection), and in the webhook receiver it
    held up the acknowledgements in flight. Raises the broker's error if it is unreachable."""
    from config.celery import app

    app.finalize(auto=True)
    _ = app.backend  # made on first use
    with app.producer_or_acquire() as producer:
        producer.connection.ensure_connection(max_retries=1)


@transaction.atomic
def store_inbound_events(events: Sequence[SplitEvent]) -> list[int]:
    """Store a delivery's events, skipping any already stored; return the ids of new rows.

    One `INSERT ... ON CONFLICT DO NOTHING`, so a retried delivery (Meta retries for 36 hours)
    creates nothing twice. Processing is scheduled after the commit."""
    if not events:
        return []
    with connection.cursor() as cursor:
        cursor.execute(STORE_INBOUND_SQL, [inbound_rows(events)])
        new_ids = [row[0] for row in cursor.fetchall()]
    schedule_processing(new_ids, on_commit=True)
    return new_ids


def schedule_processing(event_ids: Sequence[int], *, on_commit: bool) -> None:
    """One processing task per BATCH_LIMIT new events (the most a batch takes)."""
    from clients.tasks import process_inbound_events_task

    for start in range(0, len(event_ids), BATCH_LIMIT):
        chunk = list(event_ids[start : start + BATCH_LIMIT])
        # The task's description in logs and monitors, given rather than left to Celery's
        # safe repr of up to 500 ids, which took ~40% of publishing one (the webhook
        # receiver publishes while acknowledging).
        options = {"argsrepr": f"[{len(chunk)} events from {chunk[0]}]"}
        if on_commit:
            process_inbound_events_task.apply_async_on_commit((chunk,), **options)
        else:
            process_inbound_events_task.apply_async((chunk,), **options)


def process_inbound_event(*, event_id: int) -> InboundEvent.Status | None:
    """Route one stored event to its client and run the ingestion pipeline there.

    1. Fetch what a thin event leaves out (an Instagram mention's text, the review a Google
       notification names), outside any transaction, and keep it on the event.
    2. Lock the event if it is still pending (a concurrent or repeated run skips it).
    3. Find the connected account; none means unroutable, a closed one means skipped.
    4. Normalize with the platform's connector; an event type we do not handle is skipped.
    5. Inside the client's schema, ingest what it holds; the event is marked processed in the
       same transaction, so a crash anywhere leaves it pending and it is processed again.
    Processing errors are recorded on the event (see `record_processing_failure`) and re-raised.
    Returns the new status, or None when there was nothing to do."""
    refused = _enrich(event_id)
    with transaction.atomic():
        event = (
            InboundEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, status=InboundEvent.Status.PENDING)
            .first()
        )
        if event is None:
            return None
        account = _account_of(event)
        status, found = _route(event, account)
        if status == InboundEvent.Status.PROCESSED and account is not None:
            from inbox.services import ingest_interaction

            with tenant_context(account.client):
                for normalized in found:
                    ingest_interaction(normalized=normalized, connected_account=account)
        event.status = status
        event.client = account.client if account else None
        event.attempts += 1
        event.last_error = refused or event.last_error
        event.processed_at = timezone.now()
        event.save(update_fields=["status", "client", "attempts", "last_error", "processed_at"])
        return status


def process_inbound_events(*, event_ids: list[int]) -> None:
    """Process a delivery's (or a poll's) events together: what `process_inbound_event` does
    for one, in a fixed number of queries per client for the common case (inbox/ingest.py).

    One transaction for the batch, so a worker killed in the middle leaves every event of it
    pending (re-processed later, idempotently). If the batch fails, each event is processed
    alone, so one bad event is retried and parked by itself instead of holding up the rest."""
    pending = _pending(event_ids)
    enriching = _enriching_platforms()
    for event_id in [pk for pk, platform in pending if platform in enriching]:
        try:
            refusal = _enrich(event_id)
        except Exception as error:  # a transient fetch failure: retried like processing
            record_processing_failure(event_id=event_id, error=error)
            continue
        if refusal:
            _settle(event_id, InboundEvent.Status.SKIPPED, refusal)
    claimed: list[int] = []
    try:
        with transaction.atomic():
            _process_batch(event_ids, [pk for pk, _ in pending], claimed)
    except Exception:
        # Including what the batch took along from other deliveries: their own tasks may
        # have found them locked and moved on.
        everything = list(dict.fromkeys([*event_ids, *claimed]))
        logger.exception("Batch of %d events failed; processing them one by one", len(everything))
        for event_id in everything:
            try:
                process_inbound_event(event_id=event_id)
            except Exception as error:
                logger.exception("Processing inbound event %s failed", event_id)
                record_processing_failure(event_id=event_id, error=error)


@functools.cache
def _enriching_platforms() -> tuple[str, ...]:
    """Platforms some of whose events need a fetch before they can be read."""
    from clients.models import Platform

    return tuple(p for p in Platform.values if hasattr(get_connector(p), "enrich_event"))


def _pending(event_ids: list[int]) -> list[tuple[int, str]]:
    """The id and platform of each of `event_ids` still pending: under a backlog another
    batch has often taken an event along before its own task runs."""
    return [
        (pk, platform)
        for pk, platform, status in _by_id(event_ids).values_list("id", "platform", "status")
        if status == InboundEvent.Status.PENDING
    ]


def _by_id(event_ids: list[int]) -> QuerySet[InboundEvent]:
    """Events by id alone; callers check the status themselves. Under load the pending index
    holds every row version since the last vacuum (a million entries after a burst), and a
    planner that combines it with the primary key reads them all for a batch of 500."""
    return InboundEvent.objects.filter(pk__any=event_ids)


class _Locked(NamedTuple):
    """An event as a batch processes it: what processing reads of it, once locked."""

    pk: int
    platform: str
    account_external_id: str
    dedupe_key: str
    payload: dict[str, Any]


# Rows locked by id alone, their status checked after (see _by_id). Read as tuples, the
# payload decoded by orjson: as model instances, loading 500 events took 14-16 ms of CPU
# even with only these fields (Django's field conversions and JSON decoding), 4.5-6.6 so.
LOCK_EVENTS_SQL = f"""
    SELECT id, platform, account_external_id, dedupe_key, payload::text, status
    FROM public.{InboundEvent._meta.db_table}
    WHERE id = ANY(%s)
    ORDER BY id
    FOR UPDATE SKIP LOCKED
"""  # noqa: S608 - the table name comes from the model; the ids are a parameter


def _lock_pending(event_ids: list[int]) -> list[_Locked]:
    """Those of the events still pending once locked; the ones another batch holds are
    skipped. No query for no ids."""
    if not event_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(LOCK_EVENTS_SQL, [event_ids])
        rows = cursor.fetchall()
    return [
        _Locked(pk, platform, account, dedupe_key, decode_json(payload))
        for pk, platform, account, dedupe_key, payload, status in rows
        if status == InboundEvent.Status.PENDING
    ]


def decode_json(document: bytes | str) -> Any:
    """JSON decoded by orjson (several times the standard library's speed), or by the
    standard library where orjson refuses what it accepts: a lone surrogate escape in a
    delivery, a number beyond a double (1e400) that jsonb keeps. Its error, if any, is the
    standard library's, which words it better."""
    try:
        return orjson.loads(document)
    except orjson.JSONDecodeError:
        return json.loads(document)


def _settle(event_id: int, status: str, last_error: str = "") -> None:
    InboundEvent.objects.filter(pk=event_id, status=InboundEvent.Status.PENDING).update(
        status=status,
        attempts=F("attempts") + 1,
        last_error=last_error,
        processed_at=timezone.now(),
    )


# A task of at most this many events takes along other pending ones (see _process_batch).
SMALL_TASK = BATCH_LIMIT // 2


def _process_batch(event_ids: list[int], pending_ids: list[int], claimed: list[int]) -> None:
    """The batch itself: the task's `event_ids`, of which `pending_ids` were pending a moment
    ago; `claimed` receives the ids of every event it locked. Only those are locked (and
    checked again once locked): a row lock is a write (a WAL record, and for the page's
    first change after a checkpoint an image of the whole page), and a task whose events a
    small batch had taken along would otherwise lock each of them again for nothing."""
    events = _lock_pending(pending_ids)
    if len(event_ids) <= SMALL_TASK:
        # A small task under load takes along what other deliveries left pending: the fixed
        # cost of a batch is then shared by many events, and their own tasks find nothing
        # left to do. A full task does not: it would empty the next tasks, which would then
        # take along in turn. Events that need a fetch first wait for their own task (it
        # fetches). The oldest are chosen first, then locked: locking while choosing made
        # PostgreSQL sort every pending row, payloads and all (SKIP LOCKED cannot stop at
        # the limit), spilling megabytes to disk per batch under a backlog.
        oldest = list(
            InboundEvent.objects.filter(status=InboundEvent.Status.PENDING)
            .exclude(pk__any=event_ids)
            .exclude(platform__in=_enriching_platforms())
            .order_by("received_at")
            .values_list("id", flat=True)[: BATCH_LIMIT - len(events)]
        )
        events += _lock_pending(oldest)
    claimed.extend(event.pk for event in events)
    if not events:
        return
    accounts = _accounts_of(events)
    routed: list[tuple[list[NormalizedInteraction], ConnectedAccount]] = []
    outcome: dict[str, list[int]] = {status: [] for status in InboundEvent.Status.values}
    client_of: dict[int, int | None] = {}
    for event in events:
        account = accounts.get((_account_platform(event), event.account_external_id))
        status, found = _route(event, account)
        client_of[event.pk] = account.client_id if account else None
        outcome[status].append(event.pk)
        if status == InboundEvent.Status.PROCESSED and account is not None:
            routed.append((found, account))
    _ingest(routed)
    now = timezone.now()
    for settled, ids in outcome.items():
        for owner in {client_of[pk] for pk in ids}:
            InboundEvent.objects.filter(
                pk__any=[pk for pk in ids if client_of[pk] == owner]
            ).update(status=settled, client_id=owner, attempts=F("attempts") + 1, processed_at=now)


class _Routable(Protocol):
    """What routing reads of an event: a stored one, or one of a delivery not yet stored."""

    @property
    def platform(self) -> str: ...
    @property
    def account_external_id(self) -> str: ...
    @property
    def dedupe_key(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...


def _accounts_of(
    events: Iterable[_Routable],
) -> dict[tuple[str, str], ConnectedAccount]:
    """The connected accounts the events are for, by (platform, external id): one query."""
    return {
        (account.platform, account.external_account_id): account
        for account in ConnectedAccount.objects.select_related("client").filter(
            external_account_id__in={event.account_external_id for event in events}
        )
    }


def _ingest(routed: Sequence[tuple[list[NormalizedInteraction], ConnectedAccount]]) -> None:
    """Ingest what routing found, in order, inside each client's schema in turn."""
    from inbox.ingest import ingest_batch

    by_client: dict[int, list[tuple[NormalizedInteraction, ConnectedAccount]]] = {}
    for found, account in routed:
        by_client.setdefault(account.client_id, []).extend((n, account) for n in found)
    clients = {account.client_id: account.client for _, account in routed}
    for client_id, items in by_client.items():
        with tenant_context(clients[client_id]):
            ingest_batch(items)


def _route(
    event: _Routable, account: ConnectedAccount | None
) -> tuple[InboundEvent.Status, list[NormalizedInteraction]]:
    """Where an event goes: unroutable when no client connected its account, skipped for a
    closed account or when it holds nothing Parley keeps (an unknown type, a fetch that was
    refused), else processed with what it holds."""
    connector = get_connector(event.platform)
    found = normalize_all(connector, event.payload) if connector else []
    if account is None:
        return InboundEvent.Status.UNROUTABLE, []
    if not found:
        logger.info(
            "Skipped %s event %s: it holds nothing Parley keeps", event.platform, event.dedupe_key
        )
    if account.status == ConnectedAccount.Status.CLOSED or not found:
        return InboundEvent.Status.SKIPPED, []
    return InboundEvent.Status.PROCESSED, found


def _account_platform(event: _Routable) -> str:
    return ACCOUNT_PLATFORM_OF_EVENT.get(event.platform, event.platform)


def _account_of(event: InboundEvent) -> ConnectedAccount | None:
    return (
        ConnectedAccount.objects.select_related("client")
        .filter(platform=_account_platform(event), external_account_id=event.account_external_id)
        .first()
    )


def _enrich(event_id: int) -> str:
    """Fetch and store what the event's connector needs first. Returns the platform's refusal
    when the fetch is refused for good (the event is then skipped with that message); a
    transient failure raises, so the event is retried."""
    event = InboundEvent.objects.filter(pk=event_id, status=InboundEvent.Status.PENDING).first()
    connector = get_connector(event.platform) if event else None
    enrich = getattr(connector, "enrich_event", None)
    if event is None or enrich is None:
        return ""
    account = _account_of(event)
    if account is None or account.status == ConnectedAccount.Status.CLOSED:
        return ""
    try:
        fetched = enrich(account, event.payload)
    except PermanentPlatformError as error:
        return f"The platform refused the fetch: {error.message}"[:2000]
    if fetched is not None:
        InboundEvent.objects.filter(pk=event_id, status=InboundEvent.Status.PENDING).update(
            payload={**event.payload, "fetched": fetched}
        )
    return ""


REPLAYABLE = (InboundEvent.Status.FAILED, InboundEvent.Status.UNROUTABLE)


@transaction.atomic
def replay_inbound_events(*, event_ids: list[int] | None) -> int:
    """Queue failed or unroutable events again (all of them when `event_ids` is None), with
    their attempts reset. Processing is idempotent, so nothing is created twice."""
    events = InboundEvent.objects.filter(status__in=REPLAYABLE)
    if event_ids is not None:
        events = events.filter(pk__any=event_ids)
    ids = list(events.values_list("id", flat=True)[:10_000])
    InboundEvent.objects.filter(pk__any=ids).update(
        status=InboundEvent.Status.PENDING, attempts=0, processed_at=None
    )
    schedule_processing(ids, on_commit=True)
    return len(ids)


def replay_inbound_deliveries(*, delivery_ids: list[int] | None) -> int:
    """Process received deliveries parked by `split_inbound_deliveries` again (all of them
    when `delivery_ids` is None), once their cause is fixed. Events already stored are
    skipped."""
    parked = InboundDelivery.objects.exclude(last_error="")
    if delivery_ids is not None:
        parked = parked.filter(pk__in=delivery_ids)
    ids = list(parked.order_by("id").values_list("id", flat=True)[:10_000])
    InboundDelivery.objects.filter(pk__in=ids).update(last_error="")
    for one in ids:  # alone: the one PostgreSQL still refuses is parked again by itself
        transaction.on_commit(functools.partial(schedule_delivery_processing, [one]))
    return len(ids)


def record_processing_failure(*, event_id: int, error: Exception) -> None:
    """Count a failed attempt; past MAX_PROCESSING_ATTEMPTS the event is parked as failed."""
    with transaction.atomic():
        event = InboundEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.status != InboundEvent.Status.PENDING:
            return
        event.attempts += 1
        event.last_error = f"{type(error).__name__}: {error}"[:2000]
        if event.attempts >= MAX_PROCESSING_ATTEMPTS:
            event.status = InboundEvent.Status.FAILED
        event.save(update_fields=["attempts", "last_error", "status"])


POLL_LOCK_SECONDS = 300


def poll_account(*, account_id: int) -> int | None:
    """Poll one connected account of a polling platform and store what is new as inbound
    events, through the same durable pipeline as webhooks. Returns the number of new events,
    or None when the account was not polled (gone, closed, or already being polled).

    The cursor moves in the same transaction that stores the events, so a crash re-polls the
    same window and the dedupe keys absorb the repeat. A platform error is kept on the
    account for managers to see, and the cursor stays where it was."""
    lock = f"parley:poll-account:{account_id}"
    if not cache.add(lock, 1, timeout=POLL_LOCK_SECONDS):
        return None
    try:
        account = ConnectedAccount.objects.filter(pk=account_id).first()
        connector = get_connector(account.platform) if account else None
        if account is None or connector is None or not hasattr(connector, "poll"):
            return None
        if account.status == ConnectedAccount.Status.CLOSED:
            return None
        try:
            result = connector.poll(account, dict(account.sync_cursor))
        except PlatformError as error:
            _show_account_error(account_id, error.message)
            logger.warning("Polling %s failed: %s", account, error.message)
            return None
        with transaction.atomic():
            new_ids = store_inbound_events(result.events)
            ConnectedAccount.objects.filter(pk=account_id).update(
                sync_cursor=result.cursor, last_synced_at=timezone.now(), last_error=""
            )
        return len(new_ids)
    finally:
        cache.delete(lock)


def _show_account_error(account_id: int, message: str) -> None:
    """What the account's page shows managers as its last error (the platform's words are
    kept, cut to a length a page can show)."""
    ConnectedAccount.objects.filter(pk=account_id).update(last_error=message[:2000])


def backfill_account(*, account_id: int) -> int | None:
    """The history a newly connected account brings along, where the platform's API gives
    it: the connector's `backfill` (a Page's recent comments), else its first poll. Stored
    like any delivery, so what arrives again later by webhook is not stored twice."""
    account = ConnectedAccount.objects.filter(pk=account_id).first()
    connector = get_connector(account.platform) if account else None
    if account is None or connector is None:
        return None
    backfill = getattr(connector, "backfill", None)
    if backfill is None:
        return poll_account(account_id=account_id) if hasattr(connector, "poll") else None
    try:
        events = backfill(account)
    except PartialHistory as partial:
        _show_account_error(
            account_id, f"Part of the history could not be fetched: {partial.refused.message}"
        )
        return len(store_inbound_events(partial.events))
    except PlatformError as error:
        _show_account_error(account_id, f"The history could not be fetched: {error.message}")
        return None
    return len(store_inbound_events(events))


# --- Connected accounts: disconnect and token refresh -------------------------------------

# Tokens expiring within this window are refreshed by the beat task.
REFRESH_AHEAD = dt.timedelta(minutes=15)


def disconnect_account(*, account: ConnectedAccount) -> str:
    """Stop ingestion from the account and give its tokens back: the platform stops sending
    (Meta's page subscription ends) and the token is revoked. History stays.

    Returns the platform's refusal, if it refused (the account is closed regardless: a
    manager who disconnects means it)."""
    from clients import oauth

    problem = ""
    connector = get_connector(account.platform)
    try:
        before = getattr(connector, "before_disconnect", None)
        if before is not None and account.access_token_encrypted:
            before(account)
        if account.access_token_encrypted:
            oauth.revoke(account.platform, decrypt_token(account.access_token_encrypted))
    except PlatformError as error:
        problem = error.message
    account.status = ConnectedAccount.Status.CLOSED
    account.access_token_encrypted = ""
    account.refresh_token_encrypted = ""
    account.token_expires_at = None
    account.last_error = problem[:2000]
    account.save(
        update_fields=[
            "status",
            "access_token_encrypted",
            "refresh_token_encrypted",
            "token_expires_at",
            "last_error",
        ]
    )
    return problem


def refresh_account_token(*, account: ConnectedAccount) -> bool:
    """Exchange the refresh token for a new access token; the failure is kept on the account
    for managers to see (reconnecting is then the way out). Returns True on success."""
    from clients import oauth

    if not account.refresh_token_encrypted:
        return False
    try:
        tokens = oauth.refresh(account.platform, decrypt_token(account.refresh_token_encrypted))
    except PlatformError as error:
        _show_account_error(account.pk, f"The token could not be renewed: {error.message}")
        return False
    ConnectedAccount.objects.filter(pk=account.pk).update(
        access_token_encrypted=encrypt_token(tokens.access_token),
        refresh_token_encrypted=encrypt_token(tokens.refresh_token),
        token_expires_at=tokens.expires_at,
        last_error="",
    )
    return True


def accounts_needing_refresh() -> list[int]:
    return list(
        ConnectedAccount.objects.exclude(status=ConnectedAccount.Status.CLOSED)
        .exclude(refresh_token_encrypted="")
        .filter(token_expires_at__lt=timezone.now() + REFRESH_AHEAD)
        .values_list("id", flat=True)
    )
