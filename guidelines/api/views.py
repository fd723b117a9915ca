from __future__ import annotations

from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from clients.api.base import PROBLEM_RESPONSES, ClientAPIView
from guidelines.api.serializers import ReplyCheckRequestSerializer, ReplyCheckResultSerializer
from guidelines.checker import CheckContext, check_reply
from guidelines.selectors import get_current_guideline
from inbox import selectors as inbox_selectors
from inbox.services import check_reply_text


class ReplyCheckView(ClientAPIView):
    """Check a reply against the client's guideline without sending anything."""

    @extend_schema(
        operation_id="replies_check",
        request=ReplyCheckRequestSerializer,
        responses={200: ReplyCheckResultSerializer, **PROBLEM_RESPONSES},
        tags=["replies"],
    )
    def post(self, request: Request) -> Response:
        params = ReplyCheckRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        text = str(data["text"])
        if "interaction_id" in data:
            interaction = inbox_selectors.get_interaction(
                role=request._request.client_role,  # type: ignore[attr-defined]
                interaction_id=int(data["interaction_id"]),
            )
            version, result = check_reply_text(interaction=interaction, text=text)
        else:
            guideline_version, guideline = get_current_guideline()
            client = getattr(connection, "tenant", None)
            context = CheckContext(
                language=str(data.get("language") or getattr(client, "default_language", "en")),
                network=str(data["network"]),
                kind=str(data["kind"]),
            )
            version = guideline_version.number if guideline_version else None
            result = check_reply(text, context, guideline)
        return Response(
            ReplyCheckResultSerializer({"guideline_version": version, **result.as_dict()}).data
        )
