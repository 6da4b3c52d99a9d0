"""Choices of known errors: the states of their lifecycle and the actions between them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


STATE_COLOURS = {State.DRAFT: "secondary", State.PUBLISHED: "success", State.RETIRED: "dark"}


class Action(models.TextChoices):
    PUBLISH = "publish", _("Publish")
    RETIRE = "retire", _("Retire")
    REVISE = "revise", _("Back to draft")
    REPUBLISH = "republish", _("Republish")
