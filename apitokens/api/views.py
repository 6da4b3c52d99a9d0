"""Personal API tokens over the API: list your own, create one (its secret is in this answer only), revoke.
Administrators list and revoke everyone's under /admin/tokens/."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.serializers import ErrorSerializer
from core.roles import is_admin

from .. import services
from ..models import ApiToken
from .serializers import (
    AdminApiTokenSerializer,
    ApiTokenCreatedSerializer,
    ApiTokenCreateSerializer,
    ApiTokenSerializer,
)


class IsAdministrator(permissions.IsAuthenticated):
    def has_permission(self, request, view):
        return super().has_permission(request, view) and is_admin(request.user)


class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own API tokens."""

    serializer_class = ApiTokenSerializer
    practice_scope = "tokens"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user).order_by("-created_at", "-id")

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: ApiTokenCreatedSerializer, 400: ErrorSerializer})
    def create(self, request):
        data = ApiTokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        via = request.auth if isinstance(request.auth, ApiToken) else None
        token, key = services.create_token(actor=request.user, via_token=via, **data.validated_data)
        token.key = key
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ApiTokenSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = services.revoke_token(self.get_object(), actor=request.user)
        return Response(self.get_serializer(token).data)


class AdminApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every person's API tokens, for administrators."""

    serializer_class = AdminApiTokenSerializer
    permission_classes = [IsAdministrator]
    practice_scope = "tokens"
    queryset = ApiToken.objects.select_related("user", "revoked_by").order_by("-created_at", "-id")
    filterset_fields = ["user"]

    @extend_schema(request=None, responses={200: AdminApiTokenSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = services.revoke_token(self.get_object(), actor=request.user)
        return Response(self.get_serializer(token).data)
