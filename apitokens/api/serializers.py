from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.serializers import PersonBriefSerializer, StrictFieldsMixin

from ..models import ApiToken
from ..scopes import scope_choices


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as listed: never its secret (only its digest is stored)."""

    is_usable = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at",
                  "is_usable"]
        read_only_fields = fields


class AdminApiTokenSerializer(ApiTokenSerializer):
    user = PersonBriefSerializer(read_only=True)
    revoked_by = PersonBriefSerializer(read_only=True)

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "user", "revoked_by"]
        read_only_fields = fields


class ApiTokenCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """What a client sends to create a token; validation of the values is the service's."""

    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(child=serializers.CharField(max_length=30), allow_empty=False)
    expires_in_days = serializers.IntegerField(
        required=False, min_value=1,
        help_text=_("Default and maximum are set by API_TOKEN_DEFAULT_DAYS and API_TOKEN_MAX_DAYS."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The registry fills in AppConfig.ready(): read it when the serializer is built, not when it is imported.
        self.fields["scopes"].child = serializers.ChoiceField(choices=scope_choices())
        self.fields["expires_in_days"].max_value = settings.API_TOKEN_MAX_DAYS


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(read_only=True, help_text=_("The secret: shown this once, never again."))

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
        read_only_fields = fields
