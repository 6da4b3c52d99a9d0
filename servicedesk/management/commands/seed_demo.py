"""`manage.py seed_demo`: the demo organisation (servicedesk/demo.py) and a few hundred incidents in two languages.

Idempotent: organisations, people, groups, services and categories are matched by their unique keys and updated in
place; incidents are only added until --incidents exist. Incidents take a bulk path (one INSERT per batch, search
vectors computed in the same statement) instead of incidents.services.create_incident, which would queue mail and
take a second per dozen; the planner builds each row as the services would have left it at its current state:
milestones in order, a conversation that fits the state, priority from the matrix. The benchmark reuses the planner.
"""

import random
import time
from dataclasses import dataclass, field
from datetime import timedelta

import pghistory
import pgtrigger
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import AssignmentGroup, Organisation, User
from core.roles import Role, grant_role
from core.textsearch import search_vector
from incidents.choices import Channel, State
from incidents.models import Incident, IncidentComment, PriorityMatrixEntry, next_numbers
from servicedesk import demo
from servicedesk.models import Category, Service

DAY = timedelta(days=1)
SPAN_DAYS = 182  # incidents are spread over the last six months, denser towards today

# How likely each state is for an incident of a given age: old ones are nearly all closed.
STATE_WEIGHTS_BY_AGE = [
    (2, {State.NEW: 18, State.ASSIGNED: 18, State.IN_PROGRESS: 25, State.PENDING_USER: 8, State.PENDING_SUPPLIER: 4,
         State.RESOLVED: 17, State.CLOSED: 5, State.CANCELLED: 5}),
    (7, {State.NEW: 3, State.ASSIGNED: 7, State.IN_PROGRESS: 15, State.PENDING_USER: 10, State.PENDING_SUPPLIER: 6,
         State.RESOLVED: 34, State.CLOSED: 20, State.CANCELLED: 5}),
    (30, {State.ASSIGNED: 2, State.IN_PROGRESS: 5, State.PENDING_USER: 3, State.PENDING_SUPPLIER: 5,
          State.RESOLVED: 5, State.CLOSED: 74, State.CANCELLED: 6}),
    (None, {State.IN_PROGRESS: 1, State.PENDING_SUPPLIER: 2, State.CLOSED: 91, State.CANCELLED: 6}),
]
# Roughly how many recorded changes an incident in each state has been through (its optimistic-lock version).
VERSION_BY_STATE = {State.NEW: 1, State.ASSIGNED: 2, State.IN_PROGRESS: 3, State.PENDING_USER: 4,
                    State.PENDING_SUPPLIER: 4, State.RESOLVED: 5, State.CLOSED: 6, State.CANCELLED: 2}
CHANNELS = ([Channel.PORTAL, Channel.EMAIL, Channel.PHONE, Channel.API], [55, 20, 20, 5])


@dataclass
class DemoCast:
    """The reference records incidents are built from, keyed as in servicedesk/demo.py."""

    organisations: dict
    users: dict
    groups: dict
    services: dict
    categories: dict
    requesters: dict  # "zh" / "en" -> end users who write in that language


def _upsert_user(username, first, last, language, organisation, *, password, reset_password=False, **extra):
    defaults = {"first_name": first, "last_name": last, "language": language, "organisation": organisation,
                "email": f"{username}@itsm.example.com", **extra}
    return User.objects.update_or_create(
        username=username, defaults={**defaults, "password": password} if reset_password else defaults,
        create_defaults={**defaults, "password": password},
    )[0]


def seed_reference_data():
    """Organisations, people with their roles, groups, services and categories. Safe to run any number of times."""
    password = make_password(demo.DEMO_PASSWORD)  # hashed once: one PBKDF2 run instead of one per person
    with transaction.atomic():
        orgs = {code: Organisation.objects.update_or_create(code=code, defaults={"name": name})[0]
                for code, name in demo.ORGANISATIONS}
        users = {}
        for username, first, last, language, role, org in demo.DEMO_ACCOUNTS:
            is_admin = role == Role.ADMIN
            users[username] = _upsert_user(username, first, last, language, orgs.get(org), password=password,
                                           reset_password=True, is_staff=is_admin, is_superuser=is_admin)
            grant_role(users[username], role)
        for username, first, last, language, role in demo.STAFF:
            users[username] = _upsert_user(username, first, last, language, None, password=password)
            grant_role(users[username], role)
        requesters = {"zh": [], "en": []}
        for username, first, last, language, org, sees_org in demo.END_USERS:
            user = _upsert_user(username, first, last, language, orgs[org], password=password,
                                sees_organisation_tickets=sees_org)
            grant_role(user, Role.END_USER)
            users[username] = user
            requesters["zh" if language == "zh-hans" else "en"].append(user)
        username, first, last, language, org, _sees = demo.MONITOR_USER
        users[username] = _upsert_user(username, first, last, language, orgs[org], password=make_password(None))
        grant_role(users[username], Role.END_USER)
        groups = {}
        for key, name, email, lead, members in demo.GROUPS:
            group = AssignmentGroup.objects.update_or_create(
                name=name, defaults={"email": email, "lead": users[lead], "is_active": True})[0]
            group.members.add(*(users[m] for m in members))
            groups[key] = group
        services = {key: Service.objects.update_or_create(
            name=name, defaults={"description": description, "support_group": groups[group], "is_active": True})[0]
            for key, name, description, group in demo.SERVICES}
        categories = {}
        for key, name, parent, group in demo.CATEGORIES:
            categories[key] = Category.objects.update_or_create(
                parent=categories.get(parent), name=name,
                defaults={"default_group": groups[group], "is_active": True})[0]
    return DemoCast(orgs, users, groups, services, categories, requesters)


@dataclass
class PlannedIncident:
    """One incident row and its conversation, ready for a bulk insert (the number is given at insert time)."""

    fields: dict
    comments: list = field(default_factory=list)  # dicts: author_id, body, is_internal, created_at
    public_texts: list = field(default_factory=list)  # title, description, public replies: the search vector
    internal_texts: list = field(default_factory=list)  # internal notes: the staff-only search vector


class IncidentPlanner:
    """Invents realistic incidents for a DemoCast: one template, requester, group and timeline each."""

    def __init__(self, cast, *, rng, now):
        self.cast, self.rng, self.now = cast, rng, now
        cells = PriorityMatrixEntry.objects.values_list("impact", "urgency", "priority")
        self.matrix = {(impact, urgency): priority for impact, urgency, priority in cells}
        self.members = {key: list(group.members.order_by("username")) for key, group in cast.groups.items()}
        self.group_keys = {group.pk: key for key, group in cast.groups.items()}
        self.templates = {"zh": demo.INCIDENTS_ZH, "en": demo.INCIDENTS_EN}
        self.state_tables = [(limit, list(w), list(w.values())) for limit, w in STATE_WEIGHTS_BY_AGE]

    def plan(self, count, *, cover_states=()):
        """`count` incidents; the first ones take `cover_states` (recent, requested by `enduser`, worked by `agent`)."""
        demo_user, demo_agent = self.cast.users["enduser"], self.cast.users["agent"]
        plans = []
        for index in range(count):
            if index < len(cover_states):
                plans.append(self.plan_one(state=cover_states[index], age=self.rng.uniform(0.2, 1.5),
                                           requester=demo_user, assignee=demo_agent))
            else:
                plans.append(self.plan_one())
        return plans

    def random_age(self):
        """Days since creation: spread over six months, densest in the last few weeks."""
        return SPAN_DAYS * self.rng.random() ** 2.2

    def _state_for(self, age):
        for limit, states, weights in self.state_tables:
            if limit is None or age < limit:
                return self.rng.choices(states, weights)[0]

    def _pick_assignee(self, group, preferred=None):
        members = self.members[self.group_keys[group.pk]]
        if preferred is not None and preferred in members:
            return preferred
        agent = self.cast.users["agent"]
        if agent in members and self.rng.random() < 0.3:
            return agent  # the demo agent has a real queue under "mine"
        return self.rng.choice(members)

    def plan_one(self, *, state=None, age=None, requester=None, assignee=None):
        rng, cast, now = self.rng, self.cast, self.now
        lang = "zh" if rng.random() < 0.55 or (requester and requester.language == "zh-hans") else "en"
        service_key, category_key, impact, urgency, title, description, res_code, res_notes = rng.choice(
            self.templates[lang])
        words = demo.CONVERSATION[lang]
        age = self.random_age() if age is None else age
        created = now - age * DAY
        state = state or self._state_for(age)
        channel = rng.choices(*CHANNELS)[0]
        if requester is None and service_key == "database" and rng.random() < 0.6:
            channel, requester = Channel.MONITORING, cast.users["monitor"]
        if requester is None:
            requester = cast.users["enduser"] if lang == "zh" and rng.random() < 0.06 else rng.choice(
                cast.requesters[lang])
        logged_by = rng.choice(self.members["desk"]) if channel == Channel.PHONE else requester
        impact = min(4, max(1, impact + rng.choice((-1, 0, 0, 0, 1))))
        urgency = min(4, max(1, urgency + rng.choice((-1, 0, 0, 0, 1))))
        priority = self.matrix.get((impact, urgency), max(impact, urgency))
        service, category = cast.services[service_key], cast.categories[category_key]
        group = None
        if state == State.NEW or (state == State.CANCELLED and rng.random() < 0.5):
            service = category = None  # not classified yet: nobody has looked at it
        else:
            group = cast.groups["desk"] if rng.random() < 0.25 else service.support_group
        if group is not None and not (state in (State.ASSIGNED, State.CANCELLED) and rng.random() < 0.5):
            assignee = self._pick_assignee(group, assignee)
        else:
            assignee = None
        location = rng.choice(words["location"])
        separator = "：" if lang == "zh" else ": "
        description = f"{description}\n\n**{words['location_label']}**{separator}{location}"
        row = {
            "title": title, "description": description, "requester_id": requester.pk,
            "organisation_id": requester.organisation_id, "logged_by_id": logged_by.pk, "channel": channel,
            "category_id": category.pk if category else None, "service_id": service.pk if service else None,
            "impact": impact, "urgency": urgency, "priority": priority, "state": state,
            "is_major": priority == 1 and rng.random() < 0.25,
            "assignment_group_id": group.pk if group else None, "assignee_id": assignee.pk if assignee else None,
            "acknowledged_at": None, "first_response_at": None, "requester_updated_at": None, "resolved_at": None,
            "closed_at": None,
            "resolution_code": "", "resolution_notes": "", "version": VERSION_BY_STATE[state], "created_at": created,
        }
        plan = PlannedIncident(row, public_texts=[title, description])
        self._timeline(plan, age, requester, assignee, group, words, res_code, res_notes)
        return plan

    def _timeline(self, plan, age, requester, assignee, group, words, res_code, res_notes):
        """Milestones and conversation consistent with the state: nothing after now, nothing out of order."""
        rng, row, state = self.rng, plan.fields, plan.fields["state"]
        created = row["created_at"]
        end = created + (self.now - created) * rng.uniform(0.8, 0.99)
        if state == State.CLOSED:
            life = min(age * 0.9, rng.uniform(0.05, 1.0) * rng.choice((1, 1, 3, 9))) * DAY
            row["closed_at"] = created + life
            row["resolved_at"] = end = created + life * rng.uniform(0.4, 0.9)
        elif state == State.RESOLVED:
            window = min(age, 6.5) * DAY  # resolved longer ago than the auto-close period would already be closed
            row["resolved_at"] = end = self.now - window * rng.uniform(0.05, 0.95)
        elif state == State.CANCELLED:
            row["closed_at"] = end = created + min(age * 0.9, rng.uniform(0.02, 2.0)) * DAY
        if assignee is not None:
            row["acknowledged_at"] = created + (end - created) * rng.uniform(0.02, 0.25)
        worker = assignee or (group.lead if group else None)
        entries = []  # (author, kind, internal)
        if state == State.NEW and rng.random() < 0.3:
            entries.append((requester, "requester_reply", False))
        elif state == State.ASSIGNED and worker and rng.random() < 0.3:
            entries.append((worker, "internal", True))
        elif state in (State.IN_PROGRESS, State.PENDING_USER, State.PENDING_SUPPLIER, State.RESOLVED, State.CLOSED):
            entries.append((assignee, "agent_reply", False))
            if state in (State.RESOLVED, State.CLOSED) and rng.random() < 0.5:
                entries += [(assignee, "question", False), (requester, "requester_reply", False)]
            if rng.random() < 0.4:
                entries.append((assignee, "internal", True))
            if state == State.PENDING_USER:
                entries.append((assignee, "question", False))
            elif state == State.PENDING_SUPPLIER:
                entries.append((assignee, "supplier", True))
        start = row["acknowledged_at"] or created
        times = sorted(start + (end - start) * rng.random() for _ in entries)
        for (author, kind, internal), at in zip(entries, times, strict=True):
            self._say(plan, author, rng.choice(words[kind]), internal, at)
        if state in (State.RESOLVED, State.CLOSED):
            row["resolution_code"], row["resolution_notes"] = res_code, res_notes
            self._say(plan, assignee, f"{res_notes}\n\n{rng.choice(words['resolved'])}", False, row["resolved_at"])
            if state == State.CLOSED and rng.random() < 0.6:
                self._say(plan, requester, rng.choice(words["thanks"]), False, row["closed_at"])
        elif state == State.CANCELLED:
            self._say(plan, requester, rng.choice(words["cancel"]), False, row["closed_at"])
        first_staff_reply = next((c["created_at"] for c in plan.comments
                                  if not c["is_internal"] and c["author_id"] != requester.pk), None)
        row["first_response_at"] = first_staff_reply
        row["requester_updated_at"] = max((c["created_at"] for c in plan.comments
                                           if not c["is_internal"] and c["author_id"] != requester.pk), default=None)
        row["updated_at"] = max([created, *(c["created_at"] for c in plan.comments),
                                 *(row[k] for k in ("acknowledged_at", "resolved_at", "closed_at") if row[k])])

    def _say(self, plan, author, body, internal, at):
        plan.comments.append({"author_id": author.pk, "body": body, "is_internal": internal, "created_at": at})
        (plan.internal_texts if internal else plan.public_texts).append(body)


def _backdate(model, ids, created, updated=None):
    """Give freshly inserted rows (and their 'insert' history events) their planned creation time.

    auto_now_add overrides created_at on insert, so it is set afterwards in one UPDATE per batch; the history
    triggers for that UPDATE are skipped, since backdating a demo record is not a change anybody made.
    """
    table, events = model._meta.db_table, model.pgh_event_models["insert"]._meta.db_table
    sets, arrays, columns = ["created_at = v.created_at"], [ids, created], ["id", "created_at"]
    if updated is not None:
        sets.append("updated_at = v.updated_at")
        arrays.append(updated)
        columns.append("updated_at")
    casts = ", ".join(["%s::bigint[]"] + ["%s::timestamptz[]"] * (len(arrays) - 1))
    # Table and column names come from model metadata, never from input.
    update_rows = (f"UPDATE {table} AS t SET {', '.join(sets)} "  # noqa: S608
                   f"FROM unnest({casts}) AS v({', '.join(columns)}) WHERE t.id = v.id")
    update_events = (f"UPDATE {events} AS e SET created_at = t.created_at, pgh_created_at = t.created_at "  # noqa: S608
                     f"FROM {table} AS t WHERE e.pgh_obj_id = t.id AND e.pgh_label = 'insert' AND t.id = ANY(%s)")
    with pgtrigger.ignore(f"incidents.{model.__name__}:update_update"), connection.cursor() as cursor:
        cursor.execute(update_rows, arrays)
        cursor.execute(update_events, [ids])


def insert_incidents(plans, *, batch_size=500):
    """Write planned incidents with bulk_create, oldest first so numbers rise with creation time."""
    plans = sorted(plans, key=lambda p: p.fields["created_at"])
    numbers = next_numbers(len(plans)) if plans else []
    with pghistory.context(action="seed_demo"):
        for start in range(0, len(plans), batch_size):
            chunk, chunk_numbers = plans[start:start + batch_size], numbers[start:start + batch_size]
            with transaction.atomic():
                incidents = Incident.objects.bulk_create([
                    Incident(number=number, search_vector=search_vector(number, *plan.public_texts),
                             internal_search_vector=search_vector(*plan.internal_texts), **plan.fields)
                    for plan, number in zip(chunk, chunk_numbers, strict=True)])
                comments = IncidentComment.objects.bulk_create([
                    IncidentComment(incident_id=incident.pk, **comment)
                    for incident, plan in zip(incidents, chunk, strict=True) for comment in plan.comments])
                _backdate(Incident, [i.pk for i in incidents], [p.fields["created_at"] for p in chunk],
                          [p.fields["updated_at"] for p in chunk])
                if comments:
                    _backdate(IncidentComment, [c.pk for c in comments], [c.created_at for c in comments])
    return len(plans)


class Command(BaseCommand):
    help = "Create the demo organisation, people, services and incidents in Chinese and English (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--incidents", type=int, default=300, help="How many incidents should exist (default 300).")
        parser.add_argument("--quiet", action="store_true", help="Print nothing.")
        parser.add_argument("--seed", type=int, default=2025, help="Random seed (the same seed, the same demo).")

    def handle(self, *args, incidents, quiet, seed, **options):
        started = time.monotonic()
        cast = seed_reference_data()
        missing = max(0, incidents - Incident.objects.count())
        present = set(Incident.objects.values_list("state", flat=True).distinct())
        cover = [state for state in State.values if state not in present]
        planner = IncidentPlanner(cast, rng=random.Random(seed), now=timezone.now())
        added = insert_incidents(planner.plan(missing, cover_states=cover))
        if quiet:
            return
        self.stdout.write(_("Added %(added)d incidents (%(total)d in all) in %(seconds).1f s.") % {
            "added": added, "total": Incident.objects.count(), "seconds": time.monotonic() - started})
        self.stdout.write("")
        self.stdout.write(_("Demo accounts (password: %(password)s)") % {"password": demo.DEMO_PASSWORD})
        header = (_("username"), _("role"), _("language"), _("name"))
        rows = [(u, str(Role.LABELS[role]), language, cast.users[u].get_full_name())
                for u, _first, _last, language, role, _org in demo.DEMO_ACCOUNTS]
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(3)]
        for row in [header, *rows]:
            self.stdout.write("  ".join(str(v).ljust(w) for v, w in zip(row[:3], widths, strict=True)) + "  " + row[3])
