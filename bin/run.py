"""`make run`: the whole product with the demo agency, until Ctrl-C.

1. PostgreSQL and Redis: reused on 127.0.0.1 or embedded (bin/services.py).
2. migrate_schemas, collectstatic, seed the demo agency once.
3. Start gunicorn (pages and API: sync workers, measured fastest here, see DESIGN.md), the
   webhook receiver and the live-update streams (uvicorn), a Celery worker, Celery beat, the
   platform simulator and a gentle stream of demo traffic on every platform
   (`simulate_traffic`, PARLEY_DEMO_TRAFFIC_RATE events per second, 0.1 by default).
4. The first time only, post a few signed demo comments through the simulator's generator.
5. Print the URL and the logins; Ctrl-C stops everything started here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from services import DATA, ROOT, services

PYTHON = sys.executable
HOST = os.environ.get("PARLEY_HOST", "127.0.0.1")
PORT = int(os.environ.get("PARLEY_PORT", "8000"))
SIMULATOR_PORT = int(os.environ.get("PARLEY_SIMULATOR_PORT", "8100"))
MAIL_SMTP_PORT = int(os.environ.get("PARLEY_MAIL_SMTP_PORT", "1025"))
MAIL_HTTP_PORT = int(os.environ.get("PARLEY_MAIL_HTTP_PORT", "8025"))
LIVE_PORT = int(os.environ.get("PARLEY_LIVE_PORT", "8001"))
WEBHOOK_PORT = int(os.environ.get("PARLEY_WEBHOOK_PORT", "8002"))
SEEDED_MARKER = DATA / "demo-comments-posted"


# A command's prefix that runs it at a lower CPU priority, started in a session of its own
# (both callers start every process with `start_new_session`). Linux's scheduler first shares
# the CPU fairly between sessions ("autogroups") and only then by nice level inside each, so
# `nice` alone does nothing against the webhook receiver, which runs in another session: the
# session's own nice level (/proc/self/autogroup) is what counts. Where the kernel has no
# autogroups the file is missing and plain `nice` is what applies.
# 10 rather than the lowest, 19: alternating runs of bench/ingest.py measured no difference
# (10: 745, 827, 896 acknowledgements/s; 19: 820, 819, 811), and at 19 busy pages could
# starve the processing of new messages.
BACKGROUND_NICE = 10
BACKGROUND_PRIORITY = [
    "nice",
    "-n",
    str(BACKGROUND_NICE),
    "sh",
    "-c",
    f'{{ echo {BACKGROUND_NICE} > /proc/self/autogroup; }} 2>/dev/null; exec "$@"',
    "background",
]


def app_commands(*, port: int, webhook_port: int, log_level: str) -> dict[str, list[str]]:
    """The processes that take the load: pages and API, the platforms' webhooks, the worker.
    bench/ingest.py starts these very commands, so it measures the app as `make run` runs it."""
    bin_dir = Path(PYTHON).parent
    access_log = ["--access-logfile", "-"] if log_level == "INFO" else []
    return {
        "web": [
            str(bin_dir / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            "3",
            *access_log,
            "--graceful-timeout",
            "5",
        ],
        # The platforms' webhooks: acknowledged once stored, deliveries that arrive together
        # stored by one commit (clients/webhooks/receiver.py).
        "webhooks": [
            str(bin_dir / "uvicorn"),
            "clients.webhooks.receiver:app",
            "--host",
            HOST,
            "--port",
            str(webhook_port),
            "--workers",
            "2",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--log-level",
            "warning",
            # Nothing here reads the client's address, which uvicorn would otherwise rewrite
            # from X-Forwarded-For on every request (alternating --receiver-only runs: 948
            # and 876 acknowledgements/s without it, 860 and 833 with it).
            "--no-proxy-headers",
        ],
        # Below the web server's priority: acknowledging a platform's webhook comes first
        # (they time out and retry); the stored backlog drains in the CPU left.
        "worker": [
            *BACKGROUND_PRIORITY,
            str(bin_dir / "celery"),
            "-A",
            "config",
            "worker",
            "--loglevel",
            log_level,
            "-Q",
            "ingest,outbound,scheduled,reports,default",
            "--concurrency",
            "2",
        ],
    }


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def wait_for(url: str, seconds: float = 30) -> None:
    """Until the server at `url` answers anything at all (a 404 is an answer)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own http URL
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def _stop_on_signal(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C, and a plain `kill`, stop everything; set explicitly because a shell may have
    # started us with SIGINT ignored (background jobs of non-interactive shells are).
    signal.signal(signal.SIGINT, _stop_on_signal)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    DATA.mkdir(exist_ok=True)
    (DATA / "logs").mkdir(exist_ok=True)
    with services("run") as found:
        env = {
            **os.environ,
            **found.env,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "PARLEY_SIMULATOR_URL": f"http://127.0.0.1:{SIMULATOR_PORT}",
            "PARLEY_BASE_URL": f"http://{HOST}:{PORT}",
            "PARLEY_LIVE_URL": f"http://{HOST}:{LIVE_PORT}",
            # E-mail goes to the local mail catcher (its page lists what was sent).
            "PARLEY_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "PARLEY_EMAIL_HOST": "127.0.0.1",
            "PARLEY_EMAIL_PORT": str(MAIL_SMTP_PORT),
        }
        manage(env, "migrate_schemas", "--executor=standard", "-v", "0")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        manage(env, "seed_demo")
        bin_dir = Path(PYTHON).parent
        commands = {
            **app_commands(port=PORT, webhook_port=WEBHOOK_PORT, log_level="INFO"),
            # The live-update streams: async, held open, so not on gunicorn's sync workers.
            "live": [
                str(bin_dir / "uvicorn"),
                "inbox.live.asgi:app",
                "--host",
                HOST,
                "--port",
                str(LIVE_PORT),
                "--log-level",
                "warning",
            ],
            "beat": [
                str(bin_dir / "celery"),
                "-A",
                "config",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(DATA / "celerybeat-schedule"),
            ],
            "simulator": [PYTHON, "manage.py", "run_simulator", "--port", str(SIMULATOR_PORT)],
            # A gentle stream of every platform and kind, so the demo inbox stays alive.
            "traffic": [
                PYTHON,
                "manage.py",
                "simulate_traffic",
                "--url",
                f"http://{HOST}:{WEBHOOK_PORT}",
                "--rate",
                os.environ.get("PARLEY_DEMO_TRAFFIC_RATE", "0.1"),
            ],
            "mail": [
                PYTHON,
                "manage.py",
                "run_mailcatcher",
                "--smtp-port",
                str(MAIL_SMTP_PORT),
                "--http-port",
                str(MAIL_HTTP_PORT),
            ],
        }
        # The demo traffic starts once the servers answer: its first deliveries were refused
        # while the webhook receiver was still starting.
        traffic = commands.pop("traffic")
        processes: dict[str, subprocess.Popen[bytes]] = {}

        def start(name: str, command: list[str]) -> None:
            log_file = (DATA / "logs" / f"{name}.log").open("ab")
            processes[name] = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        try:
            for name, command in commands.items():
                start(name, command)
            wait_for(f"http://{HOST}:{PORT}/accounts/login/")
            wait_for(f"http://127.0.0.1:{SIMULATOR_PORT}/_simulator/health")
            wait_for(f"http://{HOST}:{LIVE_PORT}/live/")
            wait_for(f"http://{HOST}:{WEBHOOK_PORT}/webhooks/")
            wait_for(f"http://127.0.0.1:{MAIL_HTTP_PORT}/messages.json")
            start("traffic", traffic)
            if not SEEDED_MARKER.exists():
                manage(
                    env,
                    "simulate_comments",
                    "--url",
                    f"http://{HOST}:{WEBHOOK_PORT}/webhooks/meta/",
                )
                SEEDED_MARKER.touch()
            print_welcome(env)
            while all(process.poll() is None for process in processes.values()):
                time.sleep(1)
            stopped = [name for name, process in processes.items() if process.poll() is not None]
            print(f"Stopped unexpectedly: {', '.join(stopped)} (see .data/logs/).", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\nStopping…")
            return 0
        finally:
            for process in processes.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes.values():
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


def print_welcome(env: dict[str, str]) -> None:
    print(f"\nParley is running: http://{HOST}:{PORT}/")
    print(f"Platform webhooks: http://{HOST}:{WEBHOOK_PORT}/webhooks/<meta|x|google>/")
    print(f"Platform simulator: http://127.0.0.1:{SIMULATOR_PORT}/_simulator/requests")
    print(f"E-mail sent by Parley (approval links): http://127.0.0.1:{MAIL_HTTP_PORT}/")
    manage(env, "seed_demo", "--logins-only")
    print("Logs: .data/logs/. Ctrl-C stops everything.\n", flush=True)


if __name__ == "__main__":
    sys.exit(main())
