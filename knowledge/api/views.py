"""The knowledge API: every read through `Article.objects.visible_to`, every change through knowledge.services."""

from django.apps import apps
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.serializers import ErrorSerializer
from core.api.views import VisibleQuerysetMixin
from core.numbering import normalise_number

from .. import services
from ..choices import ArticleAction
from ..filtersets import ArticleFilterSet
from ..models import PREFIX, Article, ArticleRevision
from ..search import suggest
from ..workflow import allowed_actions
from .serializers import (
    ArticleActionSerializer,
    ArticleDetailSerializer,
    ArticleErrorSerializer,
    ArticleSerializer,
    ArticleSourceSerializer,
    ArticleUpdateSerializer,
    ArticleWriteSerializer,
    SuggestionSerializer,
    VoteResultSerializer,
    VoteSerializer,
)

_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Invalid input; each failing field is named.")),
    403: OpenApiResponse(ErrorSerializer, description=_("The caller may not do this.")),
    404: OpenApiResponse(ErrorSerializer, description=_("No such article, or not visible to the caller.")),
}
_CONFLICT = OpenApiResponse(ArticleErrorSerializer, description=_("Not allowed from this state (with the allowed "
                                                                  "actions), or a stale version."))


@extend_schema_view(
    list=extend_schema(summary=_("Knowledge articles the caller may see, filtered, searched and paginated")),
    retrieve=extend_schema(summary=_("One article"), responses={200: ArticleDetailSerializer, 404: _ERRORS[404]}),
)
class ArticleViewSet(VisibleQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     viewsets.GenericViewSet):
    """Articles by number (KB-000123). Staff write drafts and move them through review; end users read what is
    published for them and vote. No DELETE: an article is retired."""

    queryset = Article.objects.select_related("category", "published_revision").defer("search_vector")
    serializer_class = ArticleSerializer
    lookup_field = "number"
    lookup_value_regex = r"[^/]+"
    filterset_class = ArticleFilterSet
    filter_backends = [DjangoFilterBackend]
    practice_scope = "knowledge"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.select_related("owner", "reviewer").prefetch_related(
                "organisations", Prefetch("revisions", ArticleRevision.objects.select_related("approved_by")))
        return queryset

    def get_object(self):
        self.kwargs[self.lookup_field] = normalise_number(PREFIX, self.kwargs[self.lookup_field])
        return super().get_object()

    def _detail(self, article, status_code=status.HTTP_200_OK, headers=None):
        fresh = self.get_queryset().get(pk=article.pk)
        fresh.allowed = allowed_actions(self.request.user, fresh)
        data = ArticleDetailSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=status_code, headers=headers)

    def _validated(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def retrieve(self, request, *args, **kwargs):
        article = self.get_object()
        if article.is_live:
            services.record_view(article, user=request.user)
        return self._detail(article)

    @extend_schema(summary=_("Write a new draft (staff)"), request=ArticleWriteSerializer,
                   responses={201: ArticleDetailSerializer, **_ERRORS})
    def create(self, request, *args, **kwargs):
        data = self._validated(ArticleWriteSerializer)
        article = services.create_article(actor=request.user, **data)
        location = self.reverse_action("detail", kwargs={"number": article.number})
        return self._detail(article, status.HTTP_201_CREATED, headers={"Location": location})

    @extend_schema(summary=_("Change the draft (staff; needs the version you read)"),
                   request=ArticleUpdateSerializer,
                   responses={200: ArticleDetailSerializer, **_ERRORS, 409: _CONFLICT})
    def partial_update(self, request, *args, **kwargs):
        article = self.get_object()
        data = self._validated(ArticleUpdateSerializer)
        version = data.pop("version")
        organisations = data.pop("organisations", None)
        services.update_article(article, actor=request.user, version=version, organisations=organisations, **data)
        return self._detail(article)

    @extend_schema(summary=_("Move the article through review: submit, approve, reject, revise, retire"),
                   request=ArticleActionSerializer,
                   responses={200: ArticleDetailSerializer, **_ERRORS, 409: _CONFLICT})
    @action(detail=True, methods=["post"], filter_backends=[])
    def transition(self, request, number=None):
        article = self.get_object()
        data = self._validated(ArticleActionSerializer)
        name, version = data["action"], data.get("version")
        if name == ArticleAction.SUBMIT:
            services.submit_article(article, actor=request.user, reviewer=data.get("reviewer"), version=version)
        elif name == ArticleAction.REJECT:
            services.reject_article(article, actor=request.user, reason=data.get("reason", ""), version=version)
        else:
            services.ACTIONS[name](article, actor=request.user, version=version)
        return self._detail(article)

    @extend_schema(summary=_("Say whether the article helped (one vote per person; sending another changes it)"),
                   request=VoteSerializer, responses={200: VoteResultSerializer, **_ERRORS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def vote(self, request, number=None):
        article = self.get_object()
        data = self._validated(VoteSerializer)
        article = services.vote(article, user=request.user, helpful=data["helpful"])
        return Response({"helpful_count": article.helpful_count, "not_helpful_count": article.not_helpful_count})

    @extend_schema(summary=_("Draft an article from a resolved incident's resolution (staff)"),
                   request=ArticleSourceSerializer, responses={201: ArticleDetailSerializer, **_ERRORS})
    @action(detail=False, methods=["post"], url_path="from-incident", filter_backends=[], pagination_class=None)
    def from_incident(self, request):
        number = self._validated(ArticleSourceSerializer)["number"]
        incident = get_object_or_404(apps.get_model("incidents", "Incident").objects.visible_to(request.user),
                                     number=normalise_number("INC", number))
        return self._made(services.article_from_incident(incident, actor=request.user))

    @extend_schema(summary=_("Draft an article from a known error's symptoms, root cause and workaround (staff)"),
                   request=ArticleSourceSerializer, responses={201: ArticleDetailSerializer, **_ERRORS})
    @action(detail=False, methods=["post"], url_path="from-known-error", filter_backends=[], pagination_class=None)
    def from_known_error(self, request):
        number = self._validated(ArticleSourceSerializer)["number"]
        known_error = get_object_or_404(apps.get_model("known_errors", "KnownError").objects.visible_to(request.user),
                                        number=normalise_number("KE", number))
        return self._made(services.article_from_known_error(known_error, request.user))

    def _made(self, article):
        location = self.reverse_action("detail", kwargs={"number": article.number})
        return self._detail(article, status.HTTP_201_CREATED, headers={"Location": location})

    http_method_names = ["get", "post", "patch", "head", "options"]


class SuggestionsView(APIView):
    """Published articles the caller may read that match a title being typed (the portal's deflection)."""

    practice_scope = "knowledge"

    @extend_schema(
        summary=_("Up to five published articles for the words typed so far"),
        parameters=[OpenApiParameter("q", OpenApiTypes.STR, description=_("The words typed so far."))],
        responses={200: SuggestionSerializer(many=True)},
    )
    def get(self, request):
        text = (request.query_params.get("q") or "").strip()[:200]
        readable = Article.objects.visible_to(request.user).live().select_related("published_revision").only(
            "number", "helpful_count", "published_revision", "published_revision__title")
        found = suggest(readable, text) if len(text) >= 2 else []
        return Response([{"number": a.number, "title": a.published_revision.title,
                          "url": request.build_absolute_uri(reverse("knowledge-portal:article", args=[a.number]))}
                         for a in found])
