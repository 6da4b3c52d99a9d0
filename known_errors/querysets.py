"""Who sees known errors: staff only (records.querysets.StaffOnlyQuerySet); an end user asking for one gets a 404."""

from records.querysets import StaffOnlyQuerySet

from .choices import State


class KnownErrorQuerySet(StaffOnlyQuerySet):
    def published(self):
        return self.filter(state=State.PUBLISHED)
