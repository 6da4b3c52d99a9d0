"""API serializers every record kind shares: the record's common fields, its conversation, links and timeline, and
the write-side shapes of an action and a conversation entry. A kind subclasses RecordSerializer with its model and
fields; `action_serializer_for(kind)` makes the action input with that kind's actions as its choices."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.serializers import (
    AssignmentGroupBriefSerializer,
    OrganisationBriefSerializer,
    PersonBriefSerializer,
    StrictFieldsMixin,
)
from core.markdown import render_markdown

TEXT_MAX = 100_000

RECORD_FIELDS = ["number", "title", "state", "state_display", "requester", "organisation", "assignment_group",
                 "assignee", "created_at", "updated_at", "resolved_at", "closed_at", "version", "allowed_actions"]


class RecordSerializer(serializers.ModelSerializer):
    """The fields every record has; a kind sets Meta.model and Meta.fields = RECORD_FIELDS + its own."""

    state_display = serializers.CharField(source="get_state_display", read_only=True)
    requester = PersonBriefSerializer(read_only=True)
    organisation = OrganisationBriefSerializer(read_only=True)
    assignment_group = AssignmentGroupBriefSerializer(read_only=True)
    assignee = PersonBriefSerializer(read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    def get_allowed_actions(self, record) -> list[str]:
        request = self.context.get("request")
        return record.kind().workflow.allowed_actions(request.user, record) if request else []


class RecordCommentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    author = PersonBriefSerializer(read_only=True)
    body = serializers.CharField(read_only=True)
    body_html = serializers.SerializerMethodField()
    is_internal = serializers.BooleanField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    def get_body_html(self, comment) -> str:
        return render_markdown(comment.body)


class RecordCommentCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    body = serializers.CharField(max_length=TEXT_MAX, trim_whitespace=True)
    is_internal = serializers.BooleanField(default=False)


class RecordLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="link.id", read_only=True)
    link_type = serializers.CharField(source="link.link_type", read_only=True)
    label = serializers.CharField(read_only=True)
    number = serializers.CharField(source="other.number", read_only=True)
    title = serializers.CharField(source="other.title", read_only=True)
    kind = serializers.CharField(read_only=True)


class TimelineEventSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    sentence = serializers.CharField(read_only=True)
    data = serializers.JSONField(read_only=True)
    actor = PersonBriefSerializer(read_only=True, allow_null=True)
    public = serializers.BooleanField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


def action_serializer_for(kind_key, workflow, fields=None):
    """The input of `POST …/{number}/actions/` for one kind: the action (its offered actions as choices), the
    version read, an optional public comment, and `fields` {name: serializer field} the kind's actions take."""
    choices = [(action, workflow.action_labels.get(action, action))
               for action, transition in workflow.table.items() if transition.offered]
    attrs = {
        "action": serializers.ChoiceField(choices=choices, help_text=_("The action to take.")),
        "version": serializers.IntegerField(min_value=1, required=False,
                                            help_text=_("The version you read; a stale one answers 409.")),
        "comment": serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True, default=""),
        **(fields or {}),
    }
    name = "".join(part.capitalize() for part in kind_key.split("_")) + "ActionSerializer"
    return type(name, (StrictFieldsMixin, serializers.Serializer), attrs)
