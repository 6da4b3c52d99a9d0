"""API serializers every practice shares: people, organisations and groups (brief and full), and write-side bases."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.models import AssignmentGroup, Organisation, SavedView, User
from core.roles import Role, is_admin, is_lead, is_staff_member, roles_of


class StrictFieldsMixin:
    """Refuse keys the serializer does not accept, instead of silently ignoring them.

    A client that sends `{"state": "resolved"}` to an edit endpoint would otherwise get a 200 and no change; a 400
    naming the field tells it to use the transition action.
    """

    def validate(self, attrs):
        accepted = {name for name, field in self.fields.items() if not field.read_only}
        unknown = sorted(set(getattr(self, "initial_data", {}) or {}) - accepted - {"csrfmiddlewaretoken"})
        if unknown:
            raise serializers.ValidationError({name: [_("This field cannot be set here.")] for name in unknown})
        return super().validate(attrs)


class OptionalEmailField(serializers.EmailField):
    """An e-mail address someone may not have: answered as null, never as "" (which is not an e-mail address)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None


class OrganisationBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "code"]
        read_only_fields = fields


class PersonBriefSerializer(serializers.ModelSerializer):
    """Who someone is, without contact details: used wherever a person is nested in another record."""

    display_name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name"]
        read_only_fields = fields

    def get_display_name(self, user) -> str:
        return str(user)


class AssignmentGroupBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssignmentGroup
        fields = ["id", "name"]
        read_only_fields = fields


class UserSerializer(serializers.ModelSerializer):
    display_name = serializers.SerializerMethodField()
    organisation = OrganisationBriefSerializer(read_only=True)
    email = OptionalEmailField(read_only=True)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id", "username", "display_name", "first_name", "last_name", "email", "phone", "organisation",
            "language", "is_active", "roles",
        ]
        read_only_fields = fields

    def get_display_name(self, user) -> str:
        return str(user)

    def get_roles(self, user) -> list[str]:
        names = roles_of(user)  # reads the groups the view prefetched: no query per user
        return [role for role in Role.LABELS if role in names]


class MeSerializer(UserSerializer):
    """The caller: who they are and what the portal lets them do, for clients that adapt their interface."""

    is_staff_member = serializers.SerializerMethodField()
    is_lead = serializers.SerializerMethodField()
    is_admin = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "sees_organisation_tickets", "is_staff_member", "is_lead", "is_admin"]
        read_only_fields = fields

    def get_is_staff_member(self, user) -> bool:
        return is_staff_member(user)

    def get_is_lead(self, user) -> bool:
        return is_lead(user)

    def get_is_admin(self, user) -> bool:
        return is_admin(user)


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "code", "created_at", "updated_at"]
        read_only_fields = fields


class AssignmentGroupSerializer(serializers.ModelSerializer):
    lead = PersonBriefSerializer(read_only=True)
    members = PersonBriefSerializer(many=True, read_only=True)
    email = OptionalEmailField(read_only=True)

    class Meta:
        model = AssignmentGroup
        fields = ["id", "name", "email", "lead", "members", "is_active"]
        read_only_fields = fields


class ErrorSerializer(serializers.Serializer):
    """The JSON error shape (core.api.exceptions): a message, plus one list of messages per field that failed."""

    detail = serializers.CharField(required=False)


class StaleVersionErrorSerializer(ErrorSerializer):
    current_version = serializers.IntegerField()


class SavedViewSerializer(serializers.ModelSerializer):
    """A saved view of a record list: its filters (a query string), columns and sort; personal or shared."""

    owner = PersonBriefSerializer(read_only=True)
    shared_with = serializers.PrimaryKeyRelatedField(
        queryset=AssignmentGroup.objects.filter(is_active=True), required=False, allow_null=True,
        help_text=_("An assignment group you belong to; its members see the view."),
    )
    columns = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list,
                                    max_length=50)

    class Meta:
        model = SavedView
        fields = ["id", "list_key", "name", "query", "columns", "sort", "shared_with", "owner", "created_at"]
        read_only_fields = ["id", "owner", "created_at"]
        # The owner-and-name uniqueness is checked by the service (one message for page and API).
        validators = []
