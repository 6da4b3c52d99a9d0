"""Choices of known errors: the states of their lifecycle and the actions between them."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class State(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("known error", "Draft")
    PUBLISHED = "published", pgettext_lazy("known error", "Published")
    RETIRED = "retired", _("Retired")


STATE_COLOURS = {State.DRAFT: "secondary", State.PUBLISHED: "success", State.RETIRED: "dark"}


class Action(models.TextChoices):
    PUBLISH = "publish", pgettext_lazy("known error", "Publish")
    RETIRE = "retire", pgettext_lazy("known error", "Retire")
    REVISE = "revise", pgettext_lazy("known error", "Back to draft")
    REPUBLISH = "republish", pgettext_lazy("known error", "Republish")
