from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from clients.simulator.mail import MailStore, make_http_server, start_smtp


class Command(BaseCommand):
    help = "Catch the e-mail Parley sends (SMTP) and list it on a web page, for the demo."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--smtp-port", type=int, default=1025)
        parser.add_argument("--http-port", type=int, default=8025)

    def handle(self, *args: Any, host: str, smtp_port: int, http_port: int, **options: Any) -> None:
        store = MailStore()
        smtp = start_smtp(store, host, smtp_port)
        page = make_http_server(store, host, http_port)
        self.stdout.write(
            f"Catching mail on {host}:{smtp_port}; read it at http://{host}:{http_port}/"
        )
        try:
            page.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            page.server_close()
            smtp.stop()
