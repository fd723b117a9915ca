"""What every API endpoint inside a client shares: who may call it and how errors look.

ClientAccessMiddleware has already answered 404 to anyone without a role on the client, so an
endpoint only states the capability it needs. Errors are problem-style JSON with a stable
code, a message a person can act on, and the field at fault.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework import exceptions, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from accounts.roles import Capability, role_allows


class HasClientCapability(permissions.BasePermission):
    """The view's `required_capability` on the request's client."""

    message = "Your role on this client does not allow this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        capability: Capability = getattr(view, "required_capability", Capability.VIEW_INBOX)
        return role_allows(getattr(request._request, "client_role", None), capability)


class ClientAPIView(APIView):
    """Base of every endpoint under /clients/<slug>/api/v1/."""

    permission_classes = [permissions.IsAuthenticated, HasClientCapability]
    required_capability = Capability.VIEW_INBOX


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, reshaped: {"type", "title", "status", "code", "detail", "field_errors"}."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    response = exception_handler(exc, context)
    if response is None:
        return None
    fields: dict[str, list[str]] = {}
    detail = response.data
    if isinstance(exc, exceptions.ValidationError) and isinstance(detail, dict):
        fields = {name: [str(m) for m in _as_list(messages)] for name, messages in detail.items()}
        message = "Some fields are not valid: " + ", ".join(sorted(fields)) + "."
        code = "invalid"
    else:
        message = str(detail.get("detail", detail)) if isinstance(detail, dict) else str(detail)
        code = getattr(exc, "default_code", "error")
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
        if isinstance(codes, str):
            code = codes
    response.data = {
        "type": "about:blank",
        "title": response.status_text,
        "status": response.status_code,
        "code": code,
        "detail": message,
        "field_errors": fields,
    }
    response.content_type = "application/problem+json"
    return response


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


class ProblemSerializer(serializers.Serializer[dict[str, object]]):
    """The shape of every error answer (documentation only)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    code = serializers.CharField(help_text="Stable, for programs: invalid, not_found, ...")
    detail = serializers.CharField(help_text="For people: what went wrong and what to do.")
    field_errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Field name -> messages, for invalid input.",
    )


PROBLEM_RESPONSES = {
    400: ProblemSerializer,
    401: ProblemSerializer,
    403: ProblemSerializer,
    404: ProblemSerializer,
    429: ProblemSerializer,
}
