"""Serializers of the knowledge API. End users read what is published (the published revision), never a draft."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import ErrorSerializer, PersonBriefSerializer, StrictFieldsMixin
from core.markdown import render_markdown
from core.models import Organisation, User
from core.roles import is_staff_member

from ..choices import ArticleAction, ArticleState, Audience
from ..models import Article, ArticleCategory, ArticleRevision

TEXT_MAX = 100_000
CONTENT = ("title", "symptoms", "cause", "solution")


class ArticleCategorySerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = ArticleCategory
        fields = ["id", "name", "name_zh", "label"]


class ArticleSerializer(serializers.ModelSerializer):
    """An article in a list. For end users the content is the published revision's."""

    category = ArticleCategorySerializer(read_only=True)
    is_live = serializers.BooleanField(read_only=True)

    class Meta:
        model = Article
        fields = ["number", "title", "state", "category", "tags", "audience", "is_live", "published_at",
                  "view_count", "helpful_count", "not_helpful_count", "deflection_count", "version", "created_at",
                  "updated_at"]
        read_only_fields = fields

    def _published_content(self, instance, data):
        request = self.context.get("request")
        revision = instance.published_revision if instance.published_revision_id else None
        if request is not None and not is_staff_member(request.user) and revision is not None:
            for name in CONTENT:
                if name in data:
                    data[name] = getattr(revision, name)
        return data

    def to_representation(self, instance):
        return self._published_content(instance, super().to_representation(instance))


class ArticleRevisionSerializer(serializers.ModelSerializer):
    approved_by = PersonBriefSerializer(read_only=True)

    class Meta:
        model = ArticleRevision
        fields = ["revision", "title", "published_at", "approved_by"]
        read_only_fields = fields


class ArticleDetailSerializer(ArticleSerializer):
    """One article with its content (Markdown and sanitised HTML); staff also see the review fields and revisions."""

    solution_html = serializers.SerializerMethodField()
    owner = PersonBriefSerializer(read_only=True)
    reviewer = PersonBriefSerializer(read_only=True)
    organisations = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    revisions = ArticleRevisionSerializer(many=True, read_only=True)
    allowed_actions = serializers.ListField(child=serializers.ChoiceField(choices=ArticleAction.choices),
                                            read_only=True, source="allowed")

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "symptoms", "cause", "solution", "solution_html", "owner",
                  "reviewer", "review_note", "organisations", "source_record", "revisions", "allowed_actions"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_solution_html(self, instance):
        request = self.context.get("request")
        solution = instance.solution
        if request is not None and not is_staff_member(request.user) and instance.published_revision_id:
            solution = instance.published_revision.solution
        return render_markdown(solution)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not is_staff_member(request.user):
            for name in ("owner", "reviewer", "review_note", "organisations", "source_record", "revisions",
                         "allowed_actions"):
                data.pop(name, None)
        return data


class ArticleWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    symptoms = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX)
    cause = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX)
    solution = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX)
    category = serializers.PrimaryKeyRelatedField(queryset=ArticleCategory.objects.all(), required=False,
                                                  allow_null=True, default=None)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list,
                                 max_length=50)
    audience = serializers.ChoiceField(choices=Audience.choices, required=False, default=Audience.INTERNAL)
    organisations = serializers.SlugRelatedField(slug_field="code", many=True, required=False, default=list,
                                                 queryset=Organisation.objects.all())


class ArticleUpdateSerializer(ArticleWriteSerializer):
    """A change to the draft: only the fields sent change; `version` is the one you read."""

    version = serializers.IntegerField(min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name != "version":
                field.required = False
                field.default = serializers.empty


class ArticleActionSerializer(StrictFieldsMixin, serializers.Serializer):
    action = serializers.ChoiceField(choices=ArticleAction.choices)
    version = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    reviewer = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True,
                                                  help_text=_("For submit: who reviews the article."))
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX,
                                   help_text=_("For reject: what should change."))


class VoteSerializer(StrictFieldsMixin, serializers.Serializer):
    helpful = serializers.BooleanField()


class VoteResultSerializer(serializers.Serializer):
    helpful_count = serializers.IntegerField()
    not_helpful_count = serializers.IntegerField()


class SuggestionSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField()


class ArticleErrorSerializer(ErrorSerializer):
    state = serializers.ChoiceField(choices=ArticleState.choices, required=False)
    allowed = serializers.ListField(child=serializers.ChoiceField(choices=ArticleAction.choices), required=False)
    current_version = serializers.IntegerField(required=False)


class ArticleSourceSerializer(StrictFieldsMixin, serializers.Serializer):
    number = serializers.CharField(max_length=30, help_text=_("The number of the record the draft is made from."))
