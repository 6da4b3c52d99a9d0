"""Where practice apps plug in, from their AppConfig.ready(): record kinds, page URLs, API routes, menu entries, beat
schedule entries and demo seeders. Nothing central is edited when an app is added (NetBox's registry, in small).

    register_kind(RecordKind(...))              a record kind: prefix, model, workflow, pages
    register_urls("desk/problems/", "problems.urls")        pages, mounted by itsm/urls.py
    register_api("problems.api.urls")                        API routes under /api/v1/
    register_menu(MenuEntry(...))                            the navigation bar
    register_beat("problem-trends", "problems.tasks.propose_candidates", seconds)
    register_seeder("problems.demo.seed", order=50)          `make run` seeds these (seed_practices), in order
    register_schema_enums({"ProblemStateEnum": "problems.choices.State"})      OpenAPI enum component names
"""

from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings

KINDS = {}
_BY_LABEL = {}
URLS = []
API_URLS = []
MENU = []
BEAT = {}
SEEDERS = []


@dataclass
class RecordKind:
    """A kind of record: `key` ("incident"), number `prefix` ("INC"), `model` label ("incidents.Incident"), its
    workflow, the URL name of its desk page (taking the number) and of the portal page (None: not on the portal)."""

    key: str
    prefix: str
    model_label: str
    workflow: object
    desk_url: str
    portal_url: str | None = None
    api_scope: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def model(self):
        return apps.get_model(self.model_label)

    @property
    def sequence(self):
        return f"{self.model._meta.db_table}_number_seq"

    @property
    def label(self):
        return self.model._meta.verbose_name

    @property
    def label_plural(self):
        return self.model._meta.verbose_name_plural


@dataclass(frozen=True)
class MenuEntry:
    """A link in the navigation bar, in the dropdown of its `section` (a section with one visible entry is a plain
    link); `audience` is "agent", "lead", "admin" or "end_user"; `order` sorts sections and entries."""

    section: object
    label: object
    url_name: str
    audience: str = "agent"
    order: int = 100
    testid: str = ""


def register_kind(kind):
    if kind.key in KINDS or any(k.prefix == kind.prefix for k in KINDS.values()):
        raise ValueError(f"record kind {kind.key} ({kind.prefix}) registered twice")
    KINDS[kind.key] = kind
    _BY_LABEL[kind.model_label] = kind


def kind(key):
    return KINDS[key]


def kind_of(model_or_record):
    """The kind of a model class or record instance (asked for every row shown: one dictionary lookup)."""
    label = model_or_record._meta.label
    try:
        return _BY_LABEL[label]
    except KeyError:
        raise LookupError(f"{label} is not a registered record kind") from None


def kind_for_number(number):
    """The kind whose prefix starts `number` (INC-000123 → incident), or None."""
    prefix = (number or "").split("-", 1)[0].upper()
    return next((k for k in KINDS.values() if k.prefix == prefix), None)


def register_urls(prefix, module, namespace=None):
    URLS.append((prefix, module, namespace))


def register_api(module):
    API_URLS.append(module)


def register_menu(entry):
    MENU.append(entry)
    MENU.sort(key=lambda e: e.order)


def register_beat(name, task, seconds, *, expires=True):
    """A periodic task; a tick not started within one interval is dropped (the next one does the same work)."""
    entry = {"task": task, "schedule": float(seconds), **({"options": {"expires": float(seconds)}} if expires else {})}
    BEAT[name] = entry
    # Celery reads the settings' dict when beat starts, after every app is ready: the entry is there by then.
    settings.CELERY_BEAT_SCHEDULE[name] = entry


def register_schema_enums(names):
    """{component name: dotted path of a choices class}: the OpenAPI enum names of an app's choice sets."""
    overrides = settings.SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})
    for name, dotted in names.items():
        overrides.setdefault(name, dotted)


def register_seeder(dotted_path, order=100):
    SEEDERS.append((order, dotted_path))
    SEEDERS.sort()
