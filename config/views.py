from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """One 404 for everything: a missing page and a client the user may not see look the same.

    It renders without the request context on purpose, so nothing about the client (its name in
    the navigation, the switcher) can tell "not yours" apart from "does not exist".
    """
    return HttpResponse(render_to_string("404.html"), status=404)
