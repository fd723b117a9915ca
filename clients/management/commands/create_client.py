from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Agency
from clients.services import ClientSlugTaken, create_client


class Command(BaseCommand):
    help = "Create a client of an agency and provision its schema."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--agency", required=True, help="agency slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--language", default="en", choices=["en", "de", "pl", "ru"])
        parser.add_argument("--time-zone", default="UTC")

    def handle(self, *args: Any, **options: Any) -> None:
        agency = Agency.objects.filter(slug=options["agency"]).first()
        if agency is None:
            raise CommandError(f"No agency with slug {options['agency']!r}.")
        try:
            client = create_client(
                agency=agency,
                name=options["name"],
                slug=options["slug"],
                default_language=options["language"],
                time_zone=options["time_zone"],
            )
        except ClientSlugTaken:
            raise CommandError(f"The slug {options['slug']!r} is already in use.") from None
        self.stdout.write(f"Created client {client.name} at /clients/{client.slug}/")
