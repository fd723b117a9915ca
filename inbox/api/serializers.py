from __future__ import annotations

from rest_framework import serializers

from inbox.models import ModerationAction


class ModerationOptionSerializer(serializers.Serializer[dict[str, object]]):
    action = serializers.ChoiceField(choices=ModerationAction.Action.choices)
    available = serializers.BooleanField()
    reason = serializers.CharField(
        allow_blank=True, help_text="Why not, when the platform has no API for it."
    )


class ModerationRecordSerializer(serializers.ModelSerializer[ModerationAction]):
    class Meta:
        model = ModerationAction
        fields = ["id", "action", "status", "error_message", "created_at", "finished_at"]


class ModerationStateSerializer(serializers.Serializer[dict[str, object]]):
    options = ModerationOptionSerializer(many=True)
    history = ModerationRecordSerializer(many=True)


class ModerationRequestSerializer(serializers.Serializer[dict[str, object]]):
    action = serializers.ChoiceField(choices=ModerationAction.Action.choices)
