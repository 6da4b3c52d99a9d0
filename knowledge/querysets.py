"""What a person may see of the knowledge base. Pages, API, suggestions and the incident panel all start here."""

from django.db import models
from django.db.models import Exists, OuterRef, Q

from core.roles import is_staff_member

from .choices import ArticleState, Audience


class ArticleQuerySet(models.QuerySet):
    def live(self):
        """Articles with a published revision that are not retired (a revised article's draft keeps it live)."""
        return self.filter(published_revision__isnull=False).exclude(state=ArticleState.RETIRED)

    def visible_to(self, user):
        """Staff see every article in every state; an end user sees live articles whose audience is every end user
        or includes their organisation."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if is_staff_member(user):
            return self
        condition = Q(audience=Audience.ALL_END_USERS)
        if user.organisation_id:
            through = self.model.organisations.through
            # Exists, not a join: an article shared with several organisations must not come back once per row.
            condition |= Q(audience=Audience.ORGANISATIONS) & Exists(
                through.objects.filter(article_id=OuterRef("pk"), organisation_id=user.organisation_id))
        return self.live().filter(condition)
