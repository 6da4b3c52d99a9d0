"""API representations of known errors. Read serializers shape what a client sees; write serializers only validate
input and hand it to known_errors.services, which make every change."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cmdb.api.serializers import CIBriefSerializer
from cmdb.models import ConfigurationItem
from core.api.serializers import ErrorSerializer, PersonBriefSerializer, StrictFieldsMixin
from core.markdown import render_markdown
from incidents.models import Incident
from records.links import links_of
from servicedesk.api.serializers import CategoryBriefSerializer, ServiceBriefSerializer
from servicedesk.models import Category, Service

from ..choices import Action, State
from ..models import KnownError
from ..workflow import WORKFLOW

TEXT_MAX = 100_000


def _request_user(serializer):
    request = serializer.context.get("request")
    return request.user if request else None


class KnownErrorSerializer(serializers.ModelSerializer):
    """A known error as a list row."""

    url = serializers.HyperlinkedIdentityField(view_name="knownerror-detail", lookup_field="number")
    state = serializers.ChoiceField(choices=State.choices, read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    service = ServiceBriefSerializer(read_only=True)
    category = CategoryBriefSerializer(read_only=True)

    class Meta:
        model = KnownError
        fields = ["url", "number", "title", "state", "state_display", "service", "category", "link_count",
                  "published_at", "created_at", "updated_at", "version"]
        read_only_fields = fields


class LinkedRecordSerializer(serializers.Serializer):
    kind = serializers.CharField()
    number = serializers.CharField()
    title = serializers.CharField()
    link = serializers.CharField(help_text=_("How the record relates, read from the known error's side."))
    url = serializers.CharField(allow_null=True)


class KnownErrorDetailSerializer(KnownErrorSerializer):
    """One known error in full: its texts (Markdown and sanitised HTML), CIs, linked records and the actions the
    caller may take now."""

    symptoms_html = serializers.SerializerMethodField()
    root_cause_html = serializers.SerializerMethodField()
    workaround_html = serializers.SerializerMethodField()
    configuration_items = CIBriefSerializer(many=True, read_only=True)
    author = PersonBriefSerializer(source="requester", read_only=True)
    linked_records = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta(KnownErrorSerializer.Meta):
        fields = [*KnownErrorSerializer.Meta.fields, "symptoms", "symptoms_html", "root_cause", "root_cause_html",
                  "workaround", "workaround_html", "configuration_items", "author", "linked_records",
                  "allowed_actions"]
        read_only_fields = fields

    def get_symptoms_html(self, known_error) -> str:
        return render_markdown(known_error.symptoms)

    def get_root_cause_html(self, known_error) -> str:
        return render_markdown(known_error.root_cause)

    def get_workaround_html(self, known_error) -> str:
        return render_markdown(known_error.workaround)

    @extend_schema_field(LinkedRecordSerializer(many=True))
    def get_linked_records(self, known_error):
        rows = []
        for _link, label, other in links_of(known_error, _request_user(self)):
            kind = other.kind()
            try:
                url = reverse(kind.desk_url, args=[other.number])
            except NoReverseMatch:
                url = None
            rows.append({"kind": kind.key, "number": other.number, "title": other.title, "link": str(label),
                         "url": url})
        return rows

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Action.choices)))
    def get_allowed_actions(self, known_error):
        user = _request_user(self)
        return WORKFLOW.allowed_actions(user, known_error) if user else []


@extend_schema_field(OpenApiTypes.INT)
class _VisibleCIField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return ConfigurationItem.objects.visible_to(_request_user(self))


class _VisibleIncidentField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="number", queryset=Incident.objects.all(), **kwargs)

    def get_queryset(self):
        return Incident.objects.visible_to(_request_user(self))


class _Fields(StrictFieldsMixin, serializers.Serializer):
    symptoms = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX, help_text=_("Markdown"))
    root_cause = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX,
                                       help_text=_("Markdown"))
    workaround = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX,
                                       help_text=_("Markdown; needed to publish."))
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.filter(is_active=True), required=False,
                                                 allow_null=True)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.filter(is_active=True), required=False,
                                                  allow_null=True)
    configuration_items = serializers.ListField(child=_VisibleCIField(), required=False, max_length=200)


class KnownErrorCreateSerializer(_Fields):
    title = serializers.CharField(max_length=200)
    problem = serializers.CharField(required=False, max_length=30, help_text=_(
        "The number of the problem this known error documents (linked); ignored where problems are not installed."))


class KnownErrorUpdateSerializer(_Fields):
    version = serializers.IntegerField(min_value=1, help_text=_("The version you read; a stale one answers 409."))
    title = serializers.CharField(max_length=200, required=False)


class KnownErrorTransitionSerializer(StrictFieldsMixin, serializers.Serializer):
    action = serializers.ChoiceField(choices=Action.choices)
    version = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class LinkIncidentSerializer(StrictFieldsMixin, serializers.Serializer):
    incident = _VisibleIncidentField(help_text=_("The number of the incident that is an occurrence of it."))


class KnownErrorConflictSerializer(ErrorSerializer):
    state = serializers.ChoiceField(choices=State.choices, required=False)
    allowed = serializers.ListField(child=serializers.ChoiceField(choices=Action.choices), required=False)
    current_version = serializers.IntegerField(required=False)
