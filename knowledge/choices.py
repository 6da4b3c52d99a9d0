"""The knowledge base's choices: article states, review actions and audiences."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class ArticleAction(models.TextChoices):
    SUBMIT = "submit", _("Submit for review")
    APPROVE = "approve", _("Approve and publish")
    REJECT = "reject", _("Send back to draft")
    REVISE = "revise", _("Revise")
    RETIRE = "retire", _("Retire")


class Audience(models.TextChoices):
    """Who may read a published article: staff only, every end user, or end users of chosen organisations."""

    INTERNAL = "internal", _("Internal (staff only)")
    ALL_END_USERS = "all", _("All end users")
    ORGANISATIONS = "organisations", _("Chosen organisations")
