"""The administration sections: what each lists, searches and edits, and which service function saves it.

A section is declared, not programmed: the generic views in administration.views serve every one of them.
"""

from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apitokens.models import ApiToken
from cmdb import class_services
from cmdb.models import CIClass
from core import services as core_services
from core.api.filtersets import UserFilterSet
from core.models import AssignmentGroup, Organisation, User
from core.roles import Role, roles_of
from records import reply_templates
from records.models import ReplyTemplate
from servicedesk import services as desk_services
from servicedesk.models import Category, Service

from . import forms


@dataclass(frozen=True)
class Column:
    label: str
    value: object  # obj → what the cell shows

    def of(self, obj):
        return self.value(obj)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    description: str
    queryset: object  # () → QuerySet, ordered, with what the columns need
    search: tuple
    columns: tuple
    create_form: object = None
    edit_form: object = None
    create: object = None  # (actor, **changes) → obj
    update: object = None  # (obj, actor, stamp, **changes) → obj
    create_label: str = _("Add")
    extra_template: str = ""  # more on the edit page (members, attributes, account actions)
    row_actions_template: str = ""  # buttons at the end of each list row
    filterset: object = None  # the API's filterset, for filters beside the search (one rule for page and API)

    # For templates, which would call `create` and `update` (callables) rather than test them.
    @property
    def creates(self):
        return self.create is not None

    @property
    def edits(self):
        return self.update is not None


def _roles(user):
    names = roles_of(user)
    return ", ".join(str(label) for role, label in Role.LABELS.items() if role in names)


def _yes_no(value):
    return _("yes") if value else _("no")


def _token_state(token):
    if token.is_revoked:
        return _("revoked")
    if token.is_expired:
        return _("expired")
    return _("active")


SECTIONS = {section.key: section for section in [
    Section(
        key="users", title=_("People"), description=_("Invite people, set their roles, deactivate accounts."),
        queryset=lambda: User.objects.select_related("organisation").prefetch_related("groups").order_by("username"),
        search=("username", "first_name", "last_name", "email"),
        columns=(
            Column(_("User name"), lambda u: u.username),
            Column(_("Name"), lambda u: u.get_full_name()),
            Column(_("E-mail"), lambda u: u.email),
            Column(_("Organisation"), lambda u: u.organisation or ""),
            Column(_("Roles"), _roles),
            Column(_("Active"), lambda u: _yes_no(u.is_active)),
        ),
        create_form=forms.InviteForm, edit_form=forms.UserForm, create_label=_("Invite a person"),
        create=lambda actor, **c: core_services.invite_user(actor=actor, **c),
        update=lambda obj, actor, stamp, **c: core_services.update_user(obj, actor=actor, stamp=stamp, **c),
        extra_template="administration/partials/user_actions.html",
        filterset=UserFilterSet,
    ),
    Section(
        key="groups", title=_("Assignment groups"), description=_("Teams, their members and leads."),
        queryset=lambda: AssignmentGroup.objects.select_related("lead").annotate(member_count=Count("members"))
        .order_by("name"),
        search=("name", "email"),
        columns=(
            Column(_("Name"), lambda g: g.name),
            Column(_("Lead"), lambda g: g.lead or ""),
            Column(_("Members"), lambda g: g.member_count),
            Column(_("Active"), lambda g: _yes_no(g.is_active)),
        ),
        create_form=forms.GroupForm, edit_form=forms.GroupForm, create_label=_("Add a group"),
        create=lambda actor, **c: core_services.create_group(actor=actor, **c),
        update=lambda obj, actor, stamp, **c: core_services.update_group(obj, actor=actor, stamp=stamp, **c),
        extra_template="administration/partials/group_members.html",
    ),
    Section(
        key="organisations", title=_("Organisations"), description=_("The customers requesters belong to."),
        queryset=lambda: Organisation.objects.annotate(user_count=Count("users")).order_by("name"),
        search=("name", "code"),
        columns=(
            Column(_("Name"), lambda o: o.name),
            Column(_("Code"), lambda o: o.code),
            Column(_("People"), lambda o: o.user_count),
        ),
        create_form=forms.OrganisationForm, edit_form=forms.OrganisationForm, create_label=_("Add an organisation"),
        create=lambda actor, **c: core_services.create_organisation(actor=actor, **c),
        update=lambda obj, actor, stamp, **c: core_services.update_organisation(obj, actor=actor, stamp=stamp,
                                                                                **c),
    ),
    Section(
        key="services", title=_("Services"), description=_("The services tickets affect, and who supports them."),
        queryset=lambda: Service.objects.select_related("support_group").order_by("name"),
        search=("name", "description"),
        columns=(
            Column(_("Name"), lambda s: s.name),
            Column(_("Support group"), lambda s: s.support_group or ""),
            Column(_("Active"), lambda s: _yes_no(s.is_active)),
            Column(pgettext_lazy("service", "Critical"), lambda s: _yes_no(s.is_critical)),
        ),
        create_form=forms.ServiceForm, edit_form=forms.ServiceForm, create_label=_("Add a service"),
        create=lambda actor, **c: desk_services.create_service(actor=actor, **c),
        update=lambda obj, actor, stamp, **c: desk_services.update_service(obj, actor=actor, stamp=stamp, **c),
    ),
    Section(
        key="categories", title=_("Categories"), description=_("How tickets are classified."),
        queryset=lambda: Category.objects.select_related("parent__parent", "default_group").order_by("name"),
        search=("name",),
        columns=(
            Column(_("Name"), str),
            Column(_("Default group"), lambda c: c.default_group or ""),
            Column(_("Active"), lambda c: _yes_no(c.is_active)),
        ),
        create_form=forms.CategoryForm, edit_form=forms.CategoryForm, create_label=_("Add a category"),
        create=lambda actor, **c: desk_services.create_category(actor=actor, **c),
        update=lambda obj, actor, stamp, **c: desk_services.update_category(obj, actor=actor, stamp=stamp, **c),
    ),
    Section(
        key="ci-classes", title=_("CI classes"), description=_("Kinds of configuration item and their attributes."),
        queryset=lambda: CIClass.objects.select_related("parent").annotate(
            attribute_count=Count("attribute_definitions")).order_by("name"),
        search=("name", "code"),
        columns=(
            Column(_("Name"), lambda c: c.name),
            Column(_("Code"), lambda c: c.code),
            Column(_("Parent class"), lambda c: c.parent or ""),
            Column(_("Attributes"), lambda c: c.attribute_count),
            Column(_("Service"), lambda c: _yes_no(c.is_service)),
        ),
        create_form=forms.CIClassForm, edit_form=forms.CIClassForm, create_label=_("Add a CI class"),
        create=lambda actor, **c: class_services.create_ci_class(actor=actor, **c),
        update=lambda obj, actor, stamp, **c: class_services.update_ci_class(obj, actor=actor, stamp=stamp, **c),
        extra_template="administration/partials/class_attributes.html",
    ),
    Section(
        key="tokens", title=_("API tokens"), description=_("Everyone's personal API tokens; revoke any of them."),
        queryset=lambda: ApiToken.objects.select_related("user").order_by("-created_at", "-id"),
        search=("name", "prefix", "user__username"),
        columns=(
            Column(_("Name"), lambda t: t.name),
            Column(_("Prefix"), lambda t: t.prefix),
            Column(_("Owner"), lambda t: t.user),
            Column(_("Scopes"), lambda t: ", ".join(t.scopes)),
            Column(_("Expires"), lambda t: t.expires_at),
            Column(_("Last used"), lambda t: t.last_used_at or ""),
            Column(_("State"), _token_state),
        ),
        row_actions_template="administration/partials/token_revoke.html",
    ),
    Section(
        key="reply-templates", title=_("Reply templates"),
        description=_("Canned answers in English and Chinese, for a group, one agent, or everyone."),
        queryset=lambda: ReplyTemplate.objects.select_related("group", "owner").order_by("name", "id"),
        search=("name", "body_en", "body_zh"),
        columns=(
            Column(_("Name"), lambda t: t.name),
            Column(_("For"), lambda t: t.group or t.owner or _("everyone")),
            Column(_("Chinese text"), lambda t: _yes_no(t.body_zh.strip())),
        ),
        create_form=forms.ReplyTemplateForm, edit_form=forms.ReplyTemplateForm, create_label=_("Add a reply template"),
        create=lambda actor, **c: reply_templates.create_reply_template(actor=actor, **c),
        update=lambda obj, actor, stamp, **c: reply_templates.update_reply_template(obj, actor=actor, stamp=stamp,
                                                                                    **c),
    ),
]}

