from __future__ import annotations

from rest_framework import serializers

from clients.models import Platform
from clients.platforms.base import InteractionKind

MAX_CHECK_TEXT = 20_000


class ReplyCheckRequestSerializer(serializers.Serializer[dict[str, object]]):
    text = serializers.CharField(max_length=MAX_CHECK_TEXT, allow_blank=True, trim_whitespace=False)
    interaction_id = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Check as a reply to this interaction (language, network, the person's name "
        "and the messaging window come from it).",
    )
    language = serializers.ChoiceField(
        choices=["en", "de", "pl", "ru"], required=False, help_text="Without interaction_id."
    )
    network = serializers.ChoiceField(
        choices=Platform.choices, required=False, help_text="Without interaction_id."
    )
    kind = serializers.ChoiceField(
        choices=InteractionKind.choices, required=False, default=InteractionKind.COMMENT
    )

    def validate(self, attrs: dict[str, object]) -> dict[str, object]:
        if "interaction_id" not in attrs and "network" not in attrs:
            raise serializers.ValidationError(
                {"network": ["Give interaction_id, or network (and language) to check against."]}
            )
        return attrs


class ViolationSerializer(serializers.Serializer[dict[str, object]]):
    rule = serializers.CharField()
    severity = serializers.ChoiceField(choices=["block", "warn"])
    start = serializers.IntegerField(help_text="Index of the first character at fault.")
    end = serializers.IntegerField(help_text="Index after the last character at fault.")
    message = serializers.CharField()
    suggestion = serializers.CharField(allow_blank=True)


class ReplyCheckResultSerializer(serializers.Serializer[dict[str, object]]):
    guideline_version = serializers.IntegerField(allow_null=True)
    is_blocked = serializers.BooleanField()
    needs_approval = serializers.BooleanField()
    length = serializers.IntegerField(help_text="As the network counts it.")
    limit = serializers.IntegerField()
    violations = ViolationSerializer(many=True)
