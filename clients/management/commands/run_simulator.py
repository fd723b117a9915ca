from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from clients.simulator.server import make_server


class Command(BaseCommand):
    help = "Run the platform simulator (the platforms' outbound APIs, recorded)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8100)

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        server = make_server(host, port)
        self.stdout.write(f"Platform simulator on http://{host}:{port}/ (Ctrl-C stops it)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
