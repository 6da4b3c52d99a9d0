"""API representations of incidents, their conversation, attachments, history and the priority matrix.

Read serializers shape what a client sees (enums as values plus a `*_display` label, people and groups nested
briefly); write serializers only validate input and hand it to incidents.services, which make every change.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import (
    AssignmentGroupBriefSerializer,
    ErrorSerializer,
    OrganisationBriefSerializer,
    PersonBriefSerializer,
    StrictFieldsMixin,
)
from core.markdown import render_markdown
from core.models import AssignmentGroup, User
from incidents import bulk, workflow
from incidents.choices import Action, Channel, Impact, Priority, ResolutionCode, State, Urgency
from incidents.models import (
    CILink,
    Incident,
    IncidentAttachment,
    IncidentComment,
    IncidentConfigurationItem,
    PriorityMatrixEntry,
)
from servicedesk.api.serializers import CategoryBriefSerializer, ServiceBriefSerializer
from servicedesk.models import Category, Service

# Text fields have no length limit in the database; the API sets one so a client cannot store megabytes of text.
TEXT_MAX = 100_000

# Channels a staff member may name when logging an incident through the API on someone's behalf.
API_CHANNELS = [(c.value, c.label) for c in (Channel.API, Channel.PHONE, Channel.EMAIL, Channel.MONITORING)]


def _display(field):
    return serializers.CharField(source=f"get_{field}_display", read_only=True)


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = PersonBriefSerializer(read_only=True)
    is_internal = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = IncidentAttachment
        fields = ["id", "filename", "content_type", "size", "comment", "is_internal", "uploaded_by", "created_at",
                  "download_url"]
        read_only_fields = fields

    def get_is_internal(self, attachment) -> bool:
        return attachment.is_internal

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, attachment):
        url = reverse("attachment-download", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class CommentSerializer(serializers.ModelSerializer):
    author = PersonBriefSerializer(read_only=True)
    body_html = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = IncidentComment
        fields = ["id", "author", "body", "body_html", "is_internal", "created_at", "attachments"]
        read_only_fields = fields

    def get_body_html(self, comment) -> str:
        return render_markdown(comment.body)


class IncidentSerializer(serializers.ModelSerializer):
    """An incident as a queue row: everything a list needs, nothing that costs a query per row."""

    url = serializers.HyperlinkedIdentityField(view_name="incident-detail", lookup_field="number")
    state_display = _display("state")
    priority_display = _display("priority")
    impact_display = _display("impact")
    urgency_display = _display("urgency")
    channel_display = _display("channel")
    requester = PersonBriefSerializer(read_only=True)
    organisation = OrganisationBriefSerializer(read_only=True)
    assignment_group = AssignmentGroupBriefSerializer(read_only=True)
    assignee = PersonBriefSerializer(read_only=True)
    service = ServiceBriefSerializer(read_only=True)
    category = CategoryBriefSerializer(read_only=True)

    class Meta:
        model = Incident
        fields = [
            "url", "number", "title", "state", "state_display", "priority", "priority_display", "impact",
            "impact_display", "urgency", "urgency_display", "channel", "channel_display", "is_major", "requester",
            "organisation", "service", "category", "assignment_group", "assignee", "created_at", "updated_at",
            "acknowledged_at", "first_response_at", "resolved_at", "closed_at", "version",
        ]
        read_only_fields = fields


class IncidentDetailSerializer(IncidentSerializer):
    """One incident in full, with the actions the caller may take on it now."""

    description_html = serializers.SerializerMethodField()
    resolution_code_display = _display("resolution_code")
    logged_by = PersonBriefSerializer(read_only=True)
    parent = serializers.SlugRelatedField(slug_field="number", read_only=True)
    duplicate_of = serializers.SlugRelatedField(slug_field="number", read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = [
            *IncidentSerializer.Meta.fields, "description", "description_html", "logged_by", "resolution_code",
            "resolution_code_display", "resolution_notes", "parent", "duplicate_of", "allowed_actions",
        ]
        read_only_fields = fields

    def get_description_html(self, incident) -> str:
        return render_markdown(incident.description)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Action.choices)))
    def get_allowed_actions(self, incident):
        request = self.context.get("request")
        return workflow.allowed_actions(request.user, incident) if request else []


class _VisibleIncidentField(serializers.SlugRelatedField):
    """An incident named by its number, looked up among those the caller may see (others do not exist)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="number", queryset=Incident.objects.all(), **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return Incident.objects.visible_to(request.user if request else None)


class IncidentCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX)
    requester = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False,
        help_text=_("Staff only: the person the incident is logged for (defaults to the caller)."),
    )
    channel = serializers.ChoiceField(
        choices=API_CHANNELS, required=False, default=Channel.API,
        help_text=_("Staff only: how the report arrived. End users always report through the API channel."),
    )
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.filter(is_active=True), required=False,
                                                 allow_null=True)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.filter(is_active=True), required=False,
                                                  allow_null=True)
    impact = serializers.ChoiceField(
        choices=Impact.choices, required=False, default=Impact.MINOR,
        help_text=_("Staff only: an end user's report always starts at minor impact."),
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, default=Urgency.MEDIUM)
    assignment_group = serializers.PrimaryKeyRelatedField(
        queryset=AssignmentGroup.objects.filter(is_active=True), required=False, allow_null=True,
        help_text=_("Staff only."),
    )
    is_major = serializers.BooleanField(required=False, default=False, help_text=_("Staff only."))
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class IncidentUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """The record's fields (not its state: that changes only through `transition`)."""

    version = serializers.IntegerField(min_value=1, help_text=_("The version you read; a stale one answers 409."))
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.all(), required=False, allow_null=True)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    is_major = serializers.BooleanField(required=False)
    parent = _VisibleIncidentField(required=False, allow_null=True)


class TransitionSerializer(StrictFieldsMixin, serializers.Serializer):
    action = serializers.ChoiceField(choices=Action.choices)
    version = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    assignment_group = serializers.PrimaryKeyRelatedField(
        queryset=AssignmentGroup.objects.all(), required=False, allow_null=True
    )
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    resolution_code = serializers.ChoiceField(choices=ResolutionCode.choices, required=False, allow_blank=True,
                                              default="")
    resolution_notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX,
                                    help_text=_("A public reply written with the change; required for pend_user "
                                                "(the question for the requester) and reopen (the reason)."))


class CommentCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    body = serializers.CharField(max_length=TEXT_MAX, help_text=_("Markdown"))
    is_internal = serializers.BooleanField(required=False, default=False, help_text=_("Staff only."))
    version = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class MergeSerializer(StrictFieldsMixin, serializers.Serializer):
    into = _VisibleIncidentField(help_text=_("The number of the incident this one duplicates."))


class IllegalTransitionErrorSerializer(ErrorSerializer):
    state = serializers.ChoiceField(choices=State.choices, required=False)
    allowed = serializers.ListField(child=serializers.ChoiceField(choices=Action.choices), required=False)
    current_version = serializers.IntegerField(required=False)


class HistoryEventSerializer(serializers.Serializer):
    """One entry of the audit trail (pghistory): who changed which record, when, and from what to what."""

    id = serializers.CharField(source="pgh_slug")
    model = serializers.CharField(source="pgh_obj_model")
    object_id = serializers.CharField(source="pgh_obj_id")
    label = serializers.CharField(source="pgh_label")
    action = serializers.SerializerMethodField()
    user = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(source="pgh_created_at")
    diff = serializers.SerializerMethodField()

    def get_action(self, event) -> str | None:
        return (event.pgh_context or {}).get("action")

    @extend_schema_field(PersonBriefSerializer(allow_null=True))
    def get_user(self, event):
        person = getattr(event, "person", None)
        return PersonBriefSerializer(person).data if person else None

    @extend_schema_field(
        {"type": "object", "nullable": True, "additionalProperties": {"type": "array", "items": {}},
         "description": "field → [old, new]"}
    )
    def get_diff(self, event):
        if event.pgh_diff is None and event.pgh_label == "insert":
            # A record's first event has nothing to compare with: show what it was created with.
            return {key: [None, value] for key, value in (event.pgh_data or {}).items()
                    if key != "id" and value not in (None, "", False)}
        return event.pgh_diff


class PriorityMatrixEntrySerializer(serializers.ModelSerializer):
    impact_display = _display("impact")
    urgency_display = _display("urgency")
    priority = serializers.ChoiceField(choices=Priority.choices)
    priority_display = _display("priority")

    class Meta:
        model = PriorityMatrixEntry
        fields = ["id", "impact", "impact_display", "urgency", "urgency_display", "priority", "priority_display"]
        read_only_fields = ["id", "impact", "urgency"]


class IncidentCILinkSerializer(serializers.ModelSerializer):
    """A configuration item linked to an incident, as affected CI or affected service."""

    id = serializers.IntegerField(source="configuration_item.id", read_only=True)
    name = serializers.CharField(source="configuration_item.name", read_only=True)
    ci_class = serializers.CharField(source="configuration_item.ci_class.code", read_only=True)
    state = serializers.CharField(source="configuration_item.state", read_only=True)
    added_by = serializers.CharField(source="added_by.username", read_only=True)

    class Meta:
        model = IncidentConfigurationItem
        fields = ["id", "name", "ci_class", "state", "link", "added_by", "created_at"]


class LinkCISerializer(serializers.Serializer):
    configuration_items = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False,
                                                max_length=200)
    link = serializers.ChoiceField(choices=CILink.choices, default=CILink.AFFECTED_CI)


class BulkRowSerializer(StrictFieldsMixin, serializers.Serializer):
    number = serializers.CharField(max_length=30)
    version = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                       help_text=_("The version you read; a row changed since answers 409."))


class BulkChangeSerializer(StrictFieldsMixin, serializers.Serializer):
    incidents = BulkRowSerializer(many=True, allow_empty=False, max_length=200)
    action = serializers.ChoiceField(
        choices=list(bulk.OPERATIONS.items()),
        help_text=_("A lifecycle action, or set_priority (with impact and/or urgency)."),
    )
    assignment_group = serializers.PrimaryKeyRelatedField(
        queryset=AssignmentGroup.objects.all(), required=False, allow_null=True
    )
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    impact = serializers.ChoiceField(choices=Impact.choices, required=False, allow_null=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, allow_null=True)
    resolution_code = serializers.ChoiceField(choices=ResolutionCode.choices, required=False, allow_blank=True,
                                              default="")
    resolution_notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX,
                                    help_text=_("A public reply written with the change (the question of "
                                                "pend_user, the reason of reopen)."))


class BulkResultSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.IntegerField(help_text=_("200 changed; otherwise the status a single change would have "
                                                  "had (400, 403, 404, 409)."))
    detail = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField(allow_null=True, help_text=_("The new version of a changed incident."))


class BulkResponseSerializer(serializers.Serializer):
    results = BulkResultSerializer(many=True)
