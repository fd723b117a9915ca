"""Moderation of one interaction for integrations: what is possible on its platform (and, in
words, what is not), the requests made, and a new request."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import Capability, role_allows
from clients.api.base import PROBLEM_RESPONSES, ClientAPIView, ProblemSerializer
from inbox import moderation, selectors
from inbox.api.serializers import (
    ModerationRecordSerializer,
    ModerationRequestSerializer,
    ModerationStateSerializer,
)
from inbox.models import Interaction


class NotSupported(APIException):
    status_code = 422
    default_code = "not_supported"
    default_detail = "This cannot be done on this interaction."


def _interaction(request: Request, interaction_id: int) -> Interaction:
    return selectors.get_interaction(
        role=request._request.client_role,  # type: ignore[attr-defined]
        interaction_id=interaction_id,
    )


class ModerationView(ClientAPIView):
    """Reading needs a seat on the client; asking for an action needs the moderate
    capability (agents and managers)."""

    @extend_schema(
        operation_id="interactions_moderation_read",
        responses={200: ModerationStateSerializer, **PROBLEM_RESPONSES},
        tags=["moderation"],
    )
    def get(self, request: Request, interaction_id: int) -> Response:
        interaction = _interaction(request, interaction_id)
        options = [
            {"action": o.action, "available": not o.refusal, "reason": o.refusal}
            for o in moderation.moderation_options(interaction)
        ]
        history = interaction.moderation_actions.order_by("created_at")
        return Response(ModerationStateSerializer({"options": options, "history": history}).data)

    @extend_schema(
        operation_id="interactions_moderation_create",
        request=ModerationRequestSerializer,
        responses={202: ModerationRecordSerializer, 422: ProblemSerializer, **PROBLEM_RESPONSES},
        tags=["moderation"],
    )
    def post(self, request: Request, interaction_id: int) -> Response:
        interaction = _interaction(request, interaction_id)
        if not role_allows(request._request.client_role, Capability.MODERATE):  # type: ignore[attr-defined]
            raise PermissionDenied("Your role on this client does not allow moderating.")
        params = ModerationRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            requested = moderation.request_moderation(
                interaction=interaction,
                action=str(params.validated_data["action"]),
                actor=request.user,  # type: ignore[arg-type]
            )
        except moderation.ModerationNotAllowed as error:
            raise NotSupported(str(error)) from error
        return Response(ModerationRecordSerializer(requested).data, status=status.HTTP_202_ACCEPTED)
