"""API base classes: every viewset serves only what the authorisation layer lets the caller see."""

from rest_framework import viewsets


class VisibleModelViewSet(viewsets.ModelViewSet):
    """A viewset whose queryset always passes through `Model.objects.visible_to(user)`.

    Subclasses set `queryset` (with select_related/prefetch_related for a constant query count); the restriction is
    applied here so no endpoint can forget it.
    """

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)
