"""How fast do webhook deliveries become interactions, with nothing lost or doubled?

    .venv/bin/python bin/services.py run -- .venv/bin/python bench/ingest.py [--quick]

Starts the app as `make run` does (the webhook receiver on uvicorn with 2 workers, gunicorn
with 3 sync workers, a Celery worker with concurrency 2 at a lower CPU priority) on a
database of its own (`parley_bench_ingest`, emptied each run) and a Redis database of its
own. Then:

1. builds N signed Meta deliveries of mixed kinds (comments, replies, reactions, shares,
   mentions, ratings, Messenger messages), 1 to 50 events each; 10% are sent twice;
2. posts them with C concurrent senders (one event loop, a new connection per delivery)
   and times every acknowledgement;
3. waits until every event is an interaction and checks that none is missing or doubled;
4. measures the floor: the same rows inserted by batched `INSERT ... ON CONFLICT` straight
   into PostgreSQL (1,000 rows per statement, each committed), three times, the median;
5. samples the resident memory of the web and worker processes throughout.

Default: 100,000 events, 8 senders. `--quick`: 20,000 events. `--receiver-only`: no worker,
so the acknowledgements have the cores to themselves (end-to-end figures null).
`--processing-only`: no servers; the deliveries stored as the receiver stores them, then
processed in this process as the worker does, in tasks of about 500 events (events/s, ms per
event and how much of it was this process's own CPU, queries per task).
`--count-instructions`: the processing of 2,000 events counted in CPU instructions under
valgrind (callgrind), which the machine's load does not move: for comparing two versions of
the code. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import redis
import uvloop

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = "parley_bench_ingest"
PAGE = "105000000000555"
CLIENT_SLUG = "bench-ingest"
APP_SECRET = "bench_meta_app_secret"
DUPLICATED_SHARE = 0.10
KINDS = ["comment", "comment", "comment", "reply", "reaction", "share", "mention", "rating", "dm"]


def db_params() -> dict[str, str]:
    return {
        "host": os.environ.get("PARLEY_DB_HOST", "127.0.0.1"),
        "port": os.environ.get("PARLEY_DB_PORT", "5432"),
        "user": os.environ.get("PARLEY_DB_USER", "postgres"),
        "password": os.environ.get("PARLEY_DB_PASSWORD", ""),
    }


def bench_env() -> dict[str, str]:
    redis_url = os.environ.get("PARLEY_REDIS_URL", "redis://127.0.0.1:6379/7")
    parts = urlsplit(redis_url)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "PARLEY_DB_NAME": DATABASE,
        # Its own Redis database: a `make run` next to it keeps its queues.
        "PARLEY_REDIS_URL": f"{parts.scheme}://{parts.netloc}/9",
        "PARLEY_META_APP_SECRET": APP_SECRET,
        "PARLEY_LOG_LEVEL": "WARNING",
        "PARLEY_DEBUG": "0",
    }


def prepare_database(env: dict[str, str]) -> None:
    """Create the database once, migrate, and empty what a previous run left (in Redis too:
    a `--receiver-only` run leaves its processing tasks queued)."""
    redis.Redis.from_url(env["PARLEY_REDIS_URL"]).flushdb()
    with psycopg.connect(dbname="postgres", autocommit=True, **db_params()) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
            admin.execute(f"CREATE DATABASE {DATABASE}")
    manage(env, "migrate_schemas", "--executor=standard", "-v", "0")
    script = f"""
from accounts.models import Agency
from clients.models import Client, InboundDelivery, InboundEvent, WorkItem
from clients.services import connect_account, create_client
from django.db import connection
agency, _ = Agency.objects.get_or_create(slug="bench", defaults={{"name": "Bench"}})
client = Client.objects.filter(slug="{CLIENT_SLUG}").first() or create_client(
    agency=agency, name="Bench Ingest", slug="{CLIENT_SLUG}")
connect_account(client=client, platform="facebook", external_account_id="{PAGE}",
    name="Bench Page", access_token="bench-token")
with connection.cursor() as cursor:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [client.schema_name])
    tables = [row[0] for row in cursor.fetchall() if row[0].startswith("inbox_")]
    names = [f'{{client.schema_name}}."{{t}}"' for t in tables]
    # TRUNCATE, not DELETE: deleted rows stay in the table and its indexes until a vacuum,
    # and a server without autovacuum would measure each run on a bigger, slower table.
    shared = (InboundDelivery, InboundEvent, WorkItem)
    names += [f"public.{{model._meta.db_table}}" for model in shared]
    cursor.execute("TRUNCATE " + ", ".join(names) + " CASCADE")
"""
    # No ANALYZE after it: statistics of empty tables make the planner choose sequential
    # scans (the foreign-key checks' cached plans among them) that it keeps as they fill.
    manage(env, "shell", "-c", script)


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_processes(
    env: dict[str, str], port: int, webhook_port: int, logs: Path, *, worker: bool = True
) -> dict[str, subprocess.Popen[bytes]]:
    """The web server, the webhook receiver and (unless `worker` is False) the Celery worker,
    with make run's own commands (bin/run.py), quieter."""
    sys.path.insert(0, str(ROOT / "bin"))
    from run import app_commands

    commands = app_commands(port=port, webhook_port=webhook_port, log_level="WARNING")
    if not worker:
        del commands["worker"]
    logs.mkdir(parents=True, exist_ok=True)
    return {
        name: subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=(logs / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for name, command in commands.items()
    }


def wait_for_answers(*ports: int) -> None:
    """Until each server answers an HTTP request (any status; a refused connection is
    tried again), as `make run` waits."""
    from run import wait_for  # bin/, on the path since start_processes

    for port in ports:
        wait_for(f"http://127.0.0.1:{port}/", seconds=60)


def wait_for_worker(env: dict[str, str]) -> None:
    """Until the Celery worker answers a ping. On a fresh checkout it first makes the
    language model in a helper process (inbox/analysis/language.py, several seconds), whose
    CPU and memory must not be counted as the sending's."""
    os.environ["DJANGO_SETTINGS_MODULE"] = env["DJANGO_SETTINGS_MODULE"]
    import django

    django.setup()
    from config.celery import app

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return
    raise RuntimeError("The Celery worker did not answer a ping within 120 s")


# --- Deliveries ------------------------------------------------------------------------------


def build_deliveries(events: int, seed: int = 7) -> tuple[list[bytes], set[str]]:
    """Signed-ready bodies (each a list item; duplicates repeated) and the external ids the
    events must become."""
    rng = random.Random(seed)
    bodies: list[bytes] = []
    expected: set[str] = set()
    serial = 0
    now = int(time.time())
    while serial < events:
        size = min(rng.randint(1, 50), events - serial)
        changes, messaging = [], []
        for _ in range(size):
            serial += 1
            kind = rng.choice(KINDS)
            external_id, item = event_of(kind, serial, now, rng)
            expected.add(external_id)
            (messaging if kind == "dm" else changes).append(item)
        entry: dict[str, Any] = {"id": PAGE, "time": now}
        if changes:
            entry["changes"] = changes
        if messaging:
            entry["messaging"] = messaging
        body = json.dumps({"object": "page", "entry": [entry]}, separators=(",", ":")).encode()
        bodies.append(body)
        if rng.random() < DUPLICATED_SHARE:
            bodies.append(body)  # Meta retried the delivery
    rng.shuffle(bodies)
    return bodies, expected


TEXTS = [
    "Is this available in blue?",
    "Wo bleibt meine Bestellung?",
    "Czy jest w rozmiarze L?",
    "Где мой заказ?",
    "Love it, thanks!",
    "Charged twice for order 4417, please fix.",
]


def event_of(kind: str, serial: int, now: int, rng: random.Random) -> tuple[str, dict[str, Any]]:
    person = {"id": f"63{serial:013d}", "name": f"Person {serial}"}
    post = f"{PAGE}_71{serial // 40:013d}"
    text = rng.choice(TEXTS)
    if kind in ("comment", "reply"):
        comment_id = f"71{serial // 40:013d}_{serial:015d}"
        parent = (
            post
            if kind == "comment" or serial % 40 == 0
            else f"71{serial // 40:013d}_{serial - 1:015d}"
        )
        value = {
            "from": person,
            "post_id": post,
            "comment_id": comment_id,
            "created_time": now,
            "item": "comment",
            "parent_id": parent,
            "verb": "add",
            "message": text,
        }
        return comment_id, {"field": "feed", "value": value}
    if kind == "reaction":
        value = {
            "from": person,
            "item": "reaction",
            "reaction_type": "love",
            "verb": "add",
            "post_id": post,
            "parent_id": post,
            "created_time": now,
        }
        return f"reaction:{post}:{person['id']}", {"field": "feed", "value": value}
    if kind == "share":
        value = {
            "from": person,
            "item": "share",
            "verb": "add",
            "share_id": f"72{serial:013d}",
            "post_id": f"{person['id']}_72{serial:013d}",
            "message": text,
            "created_time": now,
            "link": f"https://www.facebook.com/{PAGE}/posts/pfbid0{serial // 40}",
        }
        return f"share:72{serial:013d}", {"field": "feed", "value": value}
    if kind == "mention":
        value = {
            "post_id": f"{person['id']}_73{serial:013d}",
            "item": "post",
            "verb": "add",
            "sender_id": person["id"],
            "sender_name": person["name"],
            "message": text,
            "created_time": now,
        }
        return f"{person['id']}_73{serial:013d}", {"field": "mention", "value": value}
    if kind == "rating":
        value = {
            "item": "rating",
            "verb": "add",
            "recommendation_type": "negative",
            "review_text": text,
            "reviewer_id": person["id"],
            "reviewer_name": person["name"],
            "open_graph_story_id": f"74{serial:013d}",
            "created_time": now,
        }
        return f"74{serial:013d}", {"field": "ratings", "value": value}
    mid = f"m_bench{serial}"
    return mid, {
        "sender": {"id": person["id"]},
        "recipient": {"id": PAGE},
        "timestamp": now * 1000,
        "message": {"mid": mid, "text": text},
    }


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def send_all(port: int, bodies: list[bytes], senders: int) -> tuple[list[float], int, float]:
    """Post every body, each on a new connection as Meta sends them, `senders` at a time;
    return the acknowledgement times (ms), the failures and the wall time of the whole send.

    One event loop (uvloop, as the receiver's) rather than threads: a sender thread waiting
    for the GIL after its answer arrived added that wait to the acknowledgement time (tens
    of ms at the tail), and eight threads of http.client spent CPU the servers need."""
    requests = [request_bytes(port, body) for body in bodies]
    return uvloop.run(_send_concurrently(port, requests, senders))


def request_bytes(port: int, body: bytes) -> bytes:
    head = (
        f"POST /webhooks/meta/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nX-Hub-Signature-256: {sign(body)}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


async def _send_concurrently(
    port: int, requests: list[bytes], senders: int
) -> tuple[list[float], int, float]:
    pending = iter(requests)
    latencies: list[float] = []
    failures = 0

    async def sender() -> None:
        nonlocal failures
        for request in pending:
            started = time.perf_counter()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            status_line = await reader.readline()
            await reader.read()  # the rest of the answer, until the server closes
            latencies.append((time.perf_counter() - started) * 1000)
            writer.close()
            if status_line.split(b" ", 2)[1:2] != [b"200"]:
                failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(senders)))
    return latencies, failures, time.perf_counter() - started


# --- Measuring -------------------------------------------------------------------------------


def with_children(pid: int) -> list[int]:
    """`pid` and its children: gunicorn, uvicorn and Celery fork their workers."""
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return pids


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its children: the largest single process, which is what
    a per-process limit would meet."""
    largest = 0.0
    for one in with_children(pid):
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    largest = max(largest, int(line.split()[1]) / 1024)
        except OSError:
            continue
    return largest


def cpu_seconds(processes: dict[str, subprocess.Popen[bytes]]) -> dict[str, float]:
    """CPU time (user and system) used so far by each of the app's processes with their
    children, by this one (the senders) and by PostgreSQL when it runs on this machine:
    where the cores went during the send."""
    used = {"senders": sum(os.times()[:2])}
    for name, process in processes.items():
        used[name] = 0.0
        for one in with_children(process.pid):
            with contextlib.suppress(OSError):
                used[name] += _stat_cpu(one)[0]
    database = database_cpu_seconds()
    if database is not None:
        used["postgres"] = database
    return used


def _stat_cpu(pid: int | str) -> tuple[float, float, str]:
    """(its own CPU seconds, its reaped children's, its name) from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    name, rest = stat.split("(", 1)[1].rsplit(")", 1)  # the name may hold spaces
    fields = rest.split()  # utime, stime, cutime, cstime are the 14th to 17th of the line
    ticks = os.sysconf("SC_CLK_TCK")
    own = (int(fields[11]) + int(fields[12])) / ticks
    return own, (int(fields[13]) + int(fields[14])) / ticks, name


def database_cpu_seconds() -> float | None:
    """CPU time used so far by the PostgreSQL server processes of this machine, with the
    sessions that ended meanwhile (their postmaster reaped them), or None when none can be
    read here (a server elsewhere, or another user's processes without root). The whole
    server: anything else it serves at the time counts too."""
    total, found = 0.0, False
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            own, reaped, name = _stat_cpu(entry.name)
        except (OSError, ValueError, IndexError):
            continue
        if name == "postgres":
            total += own + reaped
            found = True
    return total if found else None


class MemorySampler(threading.Thread):
    def __init__(self, processes: dict[str, subprocess.Popen[bytes]]) -> None:
        super().__init__(daemon=True)
        self.processes = processes
        self.peak = dict.fromkeys(processes, 0.0)
        self.running = True

    def run(self) -> None:
        while self.running:
            for name, process in self.processes.items():
                self.peak[name] = max(self.peak[name], rss_mb(process.pid))
            time.sleep(0.5)


def any_pending(cursor: psycopg.Cursor[Any]) -> bool:
    """Whether received deliveries wait to be split or events to be processed: from the
    partial index of pending events (and the small table of deliveries), stopping at the
    first: the progress check must cost the machine next to nothing. (Counting them visited
    every pending row, five times a second, on the cores the app is measured on: under a
    backlog of 100,000 it was one of PostgreSQL's busiest statements.)"""
    row = cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM public.clients_inboundevent WHERE status = 'pending')"
        " OR EXISTS (SELECT 1 FROM public.clients_inbounddelivery)"
    ).fetchone()
    return bool(row and row[0])


def wait_until_processed(
    processes: dict[str, subprocess.Popen[bytes]],
    expected: set[str],
    started: float,
    cpu_before: dict[str, float],
) -> tuple[float, int, int, dict[str, float]]:
    """Once no event is pending: the seconds since `started`, the duplicates and the lost,
    and the milliseconds of CPU per event each process used since `cpu_before`."""
    with psycopg.connect(dbname=DATABASE, autocommit=True, **db_params()) as conn:
        cursor = conn.cursor()
        deadline = time.monotonic() + 1800
        while any_pending(cursor) and time.monotonic() < deadline:
            time.sleep(0.2)
        end_to_end = time.perf_counter() - started
        cpu_per_event = {
            name: round((seconds - cpu_before.get(name, seconds)) * 1000 / len(expected), 3)
            for name, seconds in cpu_seconds(processes).items()
        }
        duplicates, lost = check_interactions(cursor, expected)
    return end_to_end, duplicates, lost, cpu_per_event


def check_interactions(cursor: psycopg.Cursor[Any], expected: set[str]) -> tuple[int, int]:
    schema = "client_" + CLIENT_SLUG.replace("-", "_")
    rows = cursor.execute(f"SELECT external_id FROM {schema}.inbox_interaction").fetchall()
    found = [row[0] for row in rows]
    duplicates = len(found) - len(set(found))
    lost = len(expected - set(found))
    return duplicates, lost


def median_floor(rows: list[tuple[str, str, str]]) -> float:
    """The median of three floors, after a checkpoint: measured right after the run, one
    floor moved by a third between runs, and three in a row rose each time (40,411, 46,998,
    49,289 rows/s) while PostgreSQL wrote out what the run had left in its buffers."""
    with (
        psycopg.connect(dbname=DATABASE, autocommit=True, **db_params()) as conn,
        contextlib.suppress(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("CHECKPOINT")
    floors = [measure_floor(rows) for _ in range(3)]
    print("floor runs:", ", ".join(f"{rate:,.0f}" for rate in floors), "rows/s", flush=True)
    return statistics.median(floors)


def measure_floor(rows: list[tuple[str, str, str]]) -> float:
    """Rows per second of batched `INSERT ... ON CONFLICT` into a table shaped like the
    interactions (1,000 rows per statement, each committed)."""
    with psycopg.connect(dbname=DATABASE, autocommit=True, **db_params()) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY,"
            " platform text NOT NULL, external_id text NOT NULL, text text NOT NULL,"
            " occurred_at timestamptz NOT NULL, UNIQUE (platform, external_id))"
        )
        conn.execute("TRUNCATE bench_floor")
        started = time.perf_counter()
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            values = ", ".join(["(%s, %s, %s, now())"] * len(chunk))
            params = [value for row in chunk for value in row]
            conn.execute(
                "INSERT INTO bench_floor (platform, external_id, text, occurred_at)"
                f" VALUES {values} ON CONFLICT (platform, external_id) DO NOTHING",
                params,
            )
        return len(rows) / (time.perf_counter() - started)


def stage_as_received(bodies: list[bytes]) -> list[list[int]]:
    """The deliveries stored as the webhook receiver stores them, with nothing queued (Django
    must be set up), one InboundDelivery row each (the receiver's group commits join a few),
    grouped into tasks as the receiver groups them: the ids of each task's rows."""
    from django.db import connection

    from clients.services import STAGE_DELIVERIES_SQL, delivery_tasks, inbound_rows
    from clients.webhooks.deliveries import ENDPOINTS

    received: list[tuple[int, int]] = []
    with connection.cursor() as cursor:
        for body in bodies:
            events = ENDPOINTS["meta"].split(json.loads(body))
            cursor.execute(STAGE_DELIVERIES_SQL, [inbound_rows(events), len(events)])
            received.append((int(cursor.fetchone()[0]), len(events)))
    return delivery_tasks(received)


INSTRUCTION_EVENTS = 2_000


def count_processing_instructions(env: dict[str, str]) -> None:
    """The worker's processing counted in CPU instructions (valgrind's callgrind), which the
    machine's load does not move, unlike timings (10% between runs here): to compare two
    versions of the code. Two runs of INSTRUCTION_EVENTS events, storing only and storing
    then processing; the difference is the processing. Python's side only: PostgreSQL is
    another process."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("--count-instructions needs valgrind (Debian: apt-get install valgrind)")
    totals: dict[str, int] = {}
    for step in ("store", "process"):
        prepare_database(env)
        done = subprocess.run(
            [
                valgrind,
                "--tool=callgrind",
                "--cache-sim=no",
                "--branch-sim=no",
                "--callgrind-out-file=/dev/null",
                sys.executable,
                __file__,
                "--instructions-child",
                step,
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        found = re.search(r"Collected : (\d+)", done.stderr)
        if found is None:
            sys.exit(f"valgrind did not report a count:\n{done.stderr[-2000:]}")
        totals[step] = int(found[1])
    processing = totals["process"] - totals["store"]
    figures = {
        "events": INSTRUCTION_EVENTS,
        "processing_instructions": processing,
        "instructions_per_event": round(processing / INSTRUCTION_EVENTS),
    }
    for key, value in figures.items():
        print(f"{key:>24}: {value}")
    print(json.dumps(figures))


def instructions_child(env: dict[str, str], step: str) -> None:
    """One run of count_processing_instructions, under valgrind."""
    os.environ.update(env)
    import django

    django.setup()
    from clients.services import process_inbound_deliveries
    from config.celery import collect_for_batches, ready_to_fork

    # As the worker prepares (the model and the lexicons loaded, the collector set), in both
    # runs, so that the difference is the processing alone.
    ready_to_fork()
    collect_for_batches()
    bodies, _ = build_deliveries(INSTRUCTION_EVENTS)
    tasks = stage_as_received(bodies)
    if step == "process":
        for delivery_ids in tasks:
            process_inbound_deliveries(delivery_ids=delivery_ids)


def measure_processing(env: dict[str, str], bodies: list[bytes]) -> None:
    """The processing alone, with the machine to itself: the deliveries stored as received
    (`stage_as_received`), then processed as the worker's tasks process them."""
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from clients.models import InboundEvent
    from clients.services import process_inbound_deliveries

    tasks = stage_as_received(bodies)
    # As the worker's main process and then each of its pool's processes prepare.
    from config.celery import collect_for_batches, ready_to_fork

    ready_to_fork()
    collect_for_batches()
    queries = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries[0] += 1
        return execute(sql, params, many, context)

    database_started = database_cpu_seconds()
    started, cpu_started = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(count):
        for delivery_ids in tasks:
            process_inbound_deliveries(delivery_ids=delivery_ids)
    seconds = time.perf_counter() - started
    own_cpu = time.process_time() - cpu_started
    database_ended = database_cpu_seconds()
    events = InboundEvent.objects.count()  # a delivery sent twice adds none
    figures = {
        "events": events,
        "processing_events_per_s": round(events / seconds, 1),
        "ms_per_event": round(seconds * 1000 / events, 3),
        # This process's own CPU (Python, the driver): the rest of the time is PostgreSQL's.
        "python_ms_per_event": round(own_cpu * 1000 / events, 3),
        # PostgreSQL's CPU meanwhile (its WAL writer and checkpointer included); null when
        # its processes cannot be read here.
        "postgres_ms_per_event": (
            round((database_ended - database_started) * 1000 / events, 3)
            if database_started is not None and database_ended is not None
            else None
        ),
        "queries_per_task": round(queries[0] / len(tasks), 1),
    }
    for key, value in figures.items():
        print(f"{key:>24}: {value}")
    print(json.dumps(figures))


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="20,000 events")
    parser.add_argument("--events", type=int, help="how many events (default 100,000)")
    parser.add_argument("--senders", type=int, default=8, help="concurrent senders")
    parser.add_argument(
        "--receiver-only",
        action="store_true",
        help="no Celery worker: the acknowledgements with the cores to themselves (the "
        "events stay pending; the end-to-end figures are null)",
    )
    parser.add_argument(
        "--processing-only",
        action="store_true",
        help="no servers: store the events straight away, then time the worker's "
        "process_inbound_events in this process, in batches of 500",
    )
    parser.add_argument(
        "--count-instructions",
        action="store_true",
        help=f"no servers, no timings: the worker's processing of {INSTRUCTION_EVENTS:,} "
        "events counted in CPU instructions under valgrind, to compare two versions of the "
        "code on a machine whose timings move (about 2 minutes)",
    )
    parser.add_argument(
        "--instructions-child", choices=["store", "process"], help=argparse.SUPPRESS
    )
    return parser.parse_args()


def main() -> None:
    args = parse_arguments()
    events = args.events or (20_000 if args.quick else 100_000)

    env = bench_env()
    os.environ.update({k: v for k, v in env.items() if k.startswith("PARLEY_")})
    if args.instructions_child:
        instructions_child(env, args.instructions_child)
        return
    if args.count_instructions:
        count_processing_instructions(env)
        return
    print(f"Preparing {DATABASE}…", flush=True)
    prepare_database(env)
    bodies, expected = build_deliveries(events)
    print(f"{len(bodies)} deliveries, {len(expected)} distinct events", flush=True)
    if args.processing_only:
        measure_processing(env, bodies)
        return

    port, webhook_port = free_port(), free_port()
    processes = start_processes(
        env,
        port,
        webhook_port,
        ROOT / ".data" / "bench-ingest-logs",
        worker=not args.receiver_only,
    )
    sampler = MemorySampler(processes)
    try:
        # Until the servers answer (gunicorn binds its port before its workers have booted,
        # and their start counted as sending time) and the worker answers a ping.
        wait_for_answers(port, webhook_port)
        if "worker" in processes:
            wait_for_worker(env)
        sampler.start()
        started = time.perf_counter()
        cpu_before = cpu_seconds(processes)
        latencies, failures, send_seconds = send_all(webhook_port, bodies, args.senders)
        cpu_during_send = {
            name: round((seconds - cpu_before.get(name, seconds)) / send_seconds, 2)
            for name, seconds in cpu_seconds(processes).items()
        }
        print(f"sent in {send_seconds:.1f} s ({failures} not acknowledged)", flush=True)
        end_to_end, duplicates, lost, cpu_per_event = None, None, None, None
        if not args.receiver_only:
            end_to_end, duplicates, lost, cpu_per_event = wait_until_processed(
                processes, expected, started, cpu_before
            )
    finally:
        sampler.running = False
        for process in processes.values():
            os.killpg(process.pid, 15)
        for process in processes.values():
            process.wait(20)
    floor = median_floor([("facebook", external_id, "text") for external_id in sorted(expected)])
    latencies.sort()
    events_per_s = len(expected) / end_to_end if end_to_end else None
    figures = {
        "deliveries": len(bodies),
        "deliveries_per_s": round(len(bodies) / send_seconds, 1),
        "ack_p50_ms": round(statistics.median(latencies), 2),
        "ack_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2),
        "not_acknowledged": failures,
        "events": len(expected),
        "events_per_s": round(events_per_s, 1) if events_per_s else None,
        "duplicates": duplicates,
        "lost": lost,
        # The largest of the two web processes: pages (gunicorn) and webhooks (uvicorn).
        "web_rss_mb": round(max(sampler.peak["web"], sampler.peak["webhooks"]), 1),
        "worker_rss_mb": round(sampler.peak["worker"], 1) if "worker" in sampler.peak else None,
        # Cores each process used while the deliveries were sent, PostgreSQL's whole server
        # included when it runs here (the rest went to Redis and the system): the machine
        # has 2.
        "cores_during_send": cpu_during_send,
        # Milliseconds of CPU per event from the first delivery until the last event was
        # processed, by the same processes: what the end-to-end rate is made of.
        "cpu_ms_per_event": cpu_per_event,
        "floor_events_per_s": round(floor, 1),
        "ratio_to_floor": round(events_per_s / floor, 3) if events_per_s else None,
    }
    for key, value in figures.items():
        print(f"{key:>20}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
