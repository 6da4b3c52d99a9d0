"""Every change to the knowledge base, one function each; pages, the API and other practices call only these.

They stand on the records service kit (records.services: audit context, row lock, version check, save) and ask the
review flow's table (knowledge.workflow) whether a move is legal (409 with the legal actions) and whose it is (403).
"""

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import IllegalTransition
from core.models import User
from core.numbering import format_number
from core.roles import Role, is_staff_member
from records.services import audit, check_action, check_version, lock, save

from .choices import ArticleAction, ArticleState, Audience
from .models import PREFIX, Article, ArticleRevision, ArticleVote, DeflectionEvent
from .search import refresh_search
from .workflow import WORKFLOW

EDITABLE_FIELDS = ("title", "symptoms", "cause", "solution", "category", "tags", "audience")
SEQUENCE = "knowledge_article_number_seq"


def next_number():
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [SEQUENCE])
        return format_number(PREFIX, cursor.fetchone()[0])


def _require_staff(actor):
    if not is_staff_member(actor):
        raise PermissionDenied(_("Only service desk staff may write knowledge articles."))


def clean_tags(tags):
    """Tags as typed (a list, or one comma-separated text): trimmed, lower case, each once, in order."""
    if isinstance(tags, str):
        tags = tags.split(",")
    cleaned = []
    for tag in tags or ():
        tag = str(tag).strip().lower()
        if len(tag) > 50:
            raise ValidationError({"tags": _("A tag has at most 50 characters.")})
        if tag and tag not in cleaned:
            cleaned.append(tag)
    return cleaned


def _check_audience(audience, organisations):
    if audience not in Audience.values:
        raise ValidationError({"audience": _("Choose who may read the article.")})
    if audience == Audience.ORGANISATIONS and not organisations:
        raise ValidationError({"organisations": _("Choose at least one organisation.")})


@contextmanager
def _changing(article, *, actor, action, version=None, check=True):
    """The kit for an article: transaction, audit context, row lock, version check, then (on leaving) the new
    version written and the search vector rebuilt. `check`: ask the review table about `action` first."""
    with transaction.atomic(), audit(actor, action):
        locked = lock(article)
        check_version(locked, version)
        if check:
            check_action(locked, action, actor, workflow=WORKFLOW)
        yield locked
        locked.version += 1
        save(locked)
        refresh_search(locked.pk)


def create_article(*, actor, title, symptoms="", cause="", solution="", category=None, tags=(),
                   audience=Audience.INTERNAL, organisations=(), source_record=""):
    """A new draft owned by `actor` (staff only)."""
    _require_staff(actor)
    organisations = list(organisations or ())
    _check_audience(audience, organisations)
    article = Article(title=(title or "").strip(), symptoms=symptoms or "", cause=cause or "",
                      solution=solution or "", category=category, tags=clean_tags(tags), audience=audience,
                      owner=actor, drafted_by=actor, state=ArticleState.DRAFT, source_record=source_record or "")
    article.full_clean(exclude=["number", "version", "owner", "drafted_by"])
    with transaction.atomic(), audit(actor, "create"):
        article.number = next_number()
        article.save()
        if audience == Audience.ORGANISATIONS:
            article.organisations.set(organisations)
        refresh_search(article.pk)
    return article


def update_article(article, *, actor, version=None, organisations=None, **fields):
    """Edit the working copy. Only a draft is edited: a published article is revised first (its published revision
    stays visible meanwhile), an article in review is sent back."""
    _require_staff(actor)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    with _changing(article, actor=actor, action="update", version=version, check=False) as locked:
        if locked.state != ArticleState.DRAFT:
            raise IllegalTransition(_("Only a draft can be edited; revise the article first."), state=locked.state,
                                    allowed=WORKFLOW.legal_from(locked.state))
        if "tags" in fields:
            fields["tags"] = clean_tags(fields["tags"])
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.title = (locked.title or "").strip()
        locked.full_clean(exclude=["number", "version", "owner", "drafted_by"])
        chosen = list(organisations) if organisations is not None else list(locked.organisations.all())
        _check_audience(locked.audience, chosen)
        locked.organisations.set(chosen if locked.audience == Audience.ORGANISATIONS else [])
    return locked


def submit_article(article, *, actor, reviewer, version=None):
    """Ask `reviewer` (a staff member other than the author) to review the draft."""
    with _changing(article, actor=actor, action=ArticleAction.SUBMIT, version=version) as locked:
        if reviewer is None or not reviewer.is_active or not is_staff_member(reviewer):
            raise ValidationError({"reviewer": _("Choose a member of staff to review the article.")})
        if reviewer.pk in (locked.owner_id, locked.drafted_by_id):
            raise ValidationError({"reviewer": _("The author cannot review their own article.")})
        locked.reviewer = reviewer
        locked.review_note = ""
        locked.state = ArticleState.IN_REVIEW
    return locked


def approve_article(article, *, actor, version=None):
    """Publish the draft as a new revision (the reviewer or a lead; never the author)."""
    with _changing(article, actor=actor, action=ArticleAction.APPROVE, version=version) as locked:
        if actor.pk in (locked.owner_id, locked.drafted_by_id):
            raise PermissionDenied(_("The author may not approve their own article."))
        if not locked.solution.strip():
            raise ValidationError({"solution": _("An article is published with a solution.")})
        now = timezone.now()
        last = locked.revisions.aggregate(last=Max("revision"))["last"] or 0
        locked.published_revision = ArticleRevision.objects.create(
            article=locked, revision=last + 1, title=locked.title, symptoms=locked.symptoms, cause=locked.cause,
            solution=locked.solution, author=locked.drafted_by, approved_by=actor, published_at=now)
        locked.published_at = now
        locked.review_note = ""
        locked.state = ArticleState.PUBLISHED
    return locked


def reject_article(article, *, actor, reason, version=None):
    """Send the article back to draft, saying why."""
    reason = (reason or "").strip()
    with _changing(article, actor=actor, action=ArticleAction.REJECT, version=version) as locked:
        if not reason:
            raise ValidationError({"reason": _("Say what should change before the article is published.")})
        locked.review_note = reason
        locked.state = ArticleState.DRAFT
    return locked


def revise_article(article, *, actor, version=None):
    """Start a new draft of a published (or retired) article; the published revision stays visible meanwhile."""
    with _changing(article, actor=actor, action=ArticleAction.REVISE, version=version) as locked:
        locked.drafted_by = actor
        locked.reviewer = None
        locked.state = ArticleState.DRAFT
    return locked


def retire_article(article, *, actor, version=None):
    """Take the article off the portal and out of suggestions."""
    with _changing(article, actor=actor, action=ArticleAction.RETIRE, version=version) as locked:
        locked.state = ArticleState.RETIRED
    return locked


ACTIONS = {
    ArticleAction.SUBMIT: submit_article,
    ArticleAction.APPROVE: approve_article,
    ArticleAction.REJECT: reject_article,
    ArticleAction.REVISE: revise_article,
    ArticleAction.RETIRE: retire_article,
}


def reviewers():
    """The people who may be named to review an article."""
    return User.objects.filter(is_active=True, groups__name__in=Role.STAFF).distinct().order_by("username")


# --- what readers do -------------------------------------------------------------------------------------------


def _check_readable(article, user):
    if not article.is_live or not Article.objects.visible_to(user).filter(pk=article.pk).exists():
        raise PermissionDenied(_("This article cannot be rated or used now."))


def vote(article, *, user, helpful):
    """Record `user`'s verdict; one per person, and changing it moves the counts."""
    _check_readable(article, user)
    helpful = bool(helpful)
    with transaction.atomic():
        existing = ArticleVote.objects.select_for_update().filter(article=article, user=user).first()
        if existing is None:
            ArticleVote.objects.create(article=article, user=user, helpful=helpful)
            counter = "helpful_count" if helpful else "not_helpful_count"
            Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
        elif existing.helpful != helpful:
            existing.helpful = helpful
            existing.save(update_fields=["helpful", "updated_at"])
            up, down = ("helpful_count", "not_helpful_count") if helpful else ("not_helpful_count", "helpful_count")
            Article.objects.filter(pk=article.pk).update(**{up: F(up) + 1, down: F(down) - 1})
    article.refresh_from_db(fields=["helpful_count", "not_helpful_count"])
    return article


def record_view(article, *, user):
    """Count a read once per person per day (one statement: the day's row inserted, the count raised if it was new).
    Returns whether it counted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH seen AS (INSERT INTO knowledge_articleview (article_id, user_id, day) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING RETURNING article_id) "
            "UPDATE knowledge_article SET view_count = view_count + 1 WHERE id IN (SELECT article_id FROM seen)",
            [article.pk, user.pk, timezone.localdate()])
        return cursor.rowcount == 1


def record_deflection(article, *, user, query=""):
    """An end user's "this solved it": counted on the article, with the words they had typed."""
    _check_readable(article, user)
    with transaction.atomic():
        event = DeflectionEvent.objects.create(article=article, user=user, query=(query or "")[:200])
        Article.objects.filter(pk=article.pk).update(deflection_count=F("deflection_count") + 1)
    return event


# --- articles made from other records ----------------------------------------------------------------------------


def _existing_draft(source_record):
    return Article.objects.filter(source_record=source_record).exclude(state=ArticleState.RETIRED).first()


def article_from_incident(incident, *, actor):
    """A draft prefilled from a resolved incident: its title, its description as symptoms, its resolution notes as
    the solution. The same incident twice gives the same draft."""
    _require_staff(actor)
    if not incident.resolved_at or not (incident.resolution_notes or "").strip():
        raise ValidationError({"incident": _("Only a resolved incident with resolution notes makes an article.")})
    existing = _existing_draft(incident.number)
    if existing is not None:
        return existing
    return create_article(actor=actor, title=incident.title, symptoms=incident.description,
                          solution=incident.resolution_notes, source_record=incident.number)


def article_from_known_error(known_error, actor):
    """A draft prefilled from a known error (any object with title, symptoms, root_cause and workaround): the
    workaround is the solution until a fix is known."""
    _require_staff(actor)
    number = str(getattr(known_error, "number", "") or "")
    existing = _existing_draft(number) if number else None
    if existing is not None:
        return existing
    return create_article(actor=actor, title=getattr(known_error, "title", "") or "",
                          symptoms=getattr(known_error, "symptoms", "") or "",
                          cause=getattr(known_error, "root_cause", "") or "",
                          solution=getattr(known_error, "workaround", "") or "", source_record=number)
