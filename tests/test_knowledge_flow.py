"""The review flow of knowledge articles: draft → in review → published / back to draft → retired, revisions kept,
the author never approving their own, publishing only with a solution, stale versions and illegal moves refused."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.exceptions import IllegalTransition, StaleVersion
from knowledge import services
from knowledge.choices import ArticleState, Audience
from knowledge.models import Article
from tests.factories import Role, UserFactory
from tests.knowledge_helpers import published_article


@pytest.fixture
def draft(cast):
    return services.create_article(actor=cast.agent, title="VPN drops every hour", symptoms="The VPN disconnects.",
                                   solution="Update the client to 5.2.", tags="VPN, network, vpn")


def test_a_new_article_is_a_numbered_draft(draft):
    assert draft.number.startswith("KB-") and len(draft.number) == 9
    assert draft.state == ArticleState.DRAFT
    assert draft.tags == ["vpn", "network"]
    assert draft.published_revision is None


def test_end_users_may_not_write_articles(cast):
    with pytest.raises(PermissionDenied):
        services.create_article(actor=cast.end_user, title="Mine")


def test_submit_names_a_reviewer_who_is_staff_and_not_the_author(cast, draft):
    with pytest.raises(ValidationError) as error:
        services.submit_article(draft, actor=cast.agent, reviewer=None)
    assert "reviewer" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.submit_article(draft, actor=cast.agent, reviewer=cast.end_user)
    assert "reviewer" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.submit_article(draft, actor=cast.agent, reviewer=cast.agent)
    assert "reviewer" in error.value.message_dict
    draft.refresh_from_db()
    assert draft.state == ArticleState.DRAFT and draft.version == 1


def test_the_reviewer_approves_and_a_revision_is_kept(cast, draft):
    services.submit_article(draft, actor=cast.agent, reviewer=cast.agent2)
    article = services.approve_article(draft, actor=cast.agent2)
    assert article.state == ArticleState.PUBLISHED
    assert article.published_at is not None
    revision = article.published_revision
    assert (revision.revision, revision.title, revision.approved_by, revision.author) == (
        1, "VPN drops every hour", cast.agent2, cast.agent)


def test_the_author_may_not_approve_their_own_article_even_as_a_lead(cast):
    article = services.create_article(actor=cast.lead, title="Lead's own", solution="Do it.")
    services.submit_article(article, actor=cast.lead, reviewer=cast.agent)
    with pytest.raises(PermissionDenied):
        services.approve_article(article, actor=cast.lead)
    # Another lead may approve in the reviewer's place.
    assert services.approve_article(article, actor=cast.manager).state == ArticleState.PUBLISHED


def test_an_agent_who_is_not_the_reviewer_may_not_approve(cast, draft):
    services.submit_article(draft, actor=cast.agent, reviewer=cast.agent2)
    third = UserFactory(username="agent3", organisation=None, role=Role.AGENT)
    with pytest.raises(PermissionDenied):
        services.approve_article(draft, actor=third)
    draft.refresh_from_db()
    assert draft.state == ArticleState.IN_REVIEW


def test_publishing_without_a_solution_is_refused_naming_the_field(cast):
    article = services.create_article(actor=cast.agent, title="No answer yet", symptoms="Something")
    services.submit_article(article, actor=cast.agent, reviewer=cast.agent2)
    with pytest.raises(ValidationError) as error:
        services.approve_article(article, actor=cast.agent2)
    assert "solution" in error.value.message_dict
    article.refresh_from_db()
    assert article.state == ArticleState.IN_REVIEW and article.published_revision is None


def test_reject_needs_a_reason_and_goes_back_to_draft(cast, draft):
    services.submit_article(draft, actor=cast.agent, reviewer=cast.agent2)
    with pytest.raises(ValidationError) as error:
        services.reject_article(draft, actor=cast.agent2, reason="  ")
    assert "reason" in error.value.message_dict
    article = services.reject_article(draft, actor=cast.agent2, reason="Name the client version.")
    assert article.state == ArticleState.DRAFT and article.review_note == "Name the client version."


def test_revising_a_published_article_keeps_the_published_one_visible(cast):
    article = published_article(cast, title="Old title", solution="Old way.")
    article = services.revise_article(article, actor=cast.agent2)
    assert article.state == ArticleState.DRAFT
    article = services.update_article(article, actor=cast.agent2, version=article.version, title="New title",
                                      solution="New way.")
    assert Article.objects.visible_to(cast.end_user).get().published_revision.title == "Old title"
    services.submit_article(article, actor=cast.agent2, reviewer=cast.lead)
    article = services.approve_article(article, actor=cast.lead)
    assert [r.revision for r in article.revisions.all()] == [2, 1]
    assert article.published_revision.title == "New title"
    assert article.revisions.get(revision=1).solution == "Old way."


def test_retired_articles_leave_the_portal(cast):
    article = published_article(cast)
    services.retire_article(article, actor=cast.agent)
    assert not Article.objects.visible_to(cast.end_user).exists()
    assert Article.objects.visible_to(cast.agent).get().state == ArticleState.RETIRED


def test_illegal_transition_is_409_with_the_allowed_actions(cast, draft):
    with pytest.raises(IllegalTransition) as error:
        services.approve_article(draft, actor=cast.agent2)
    assert error.value.status_code == 409
    assert error.value.extra["allowed"] == ["submit", "retire"]


def test_only_a_draft_is_edited(cast):
    article = published_article(cast)
    with pytest.raises(IllegalTransition) as error:
        services.update_article(article, actor=cast.agent, version=article.version, title="Changed")
    assert "revise" in error.value.extra["allowed"]


def test_a_stale_version_is_refused(cast, draft):
    services.update_article(draft, actor=cast.agent, version=1, title="First edit")
    with pytest.raises(StaleVersion):
        services.update_article(draft, actor=cast.agent, version=1, title="Second edit")
    draft.refresh_from_db()
    assert draft.title == "First edit" and draft.version == 2


def test_chosen_organisations_audience_needs_organisations(cast):
    with pytest.raises(ValidationError) as error:
        services.create_article(actor=cast.agent, title="For some", audience=Audience.ORGANISATIONS)
    assert "organisations" in error.value.message_dict
    assert not Article.objects.exists()


def test_article_from_a_resolved_incident(cast):
    from incidents import services as incident_services

    incident = incident_services.create_incident(actor=cast.end_user, title="Outlook asks for the password",
                                                 description="Every morning Outlook asks again.")
    with pytest.raises(ValidationError):
        services.article_from_incident(incident, actor=cast.agent)
    incident_services.take_incident(incident, actor=cast.agent)
    incident_services.resolve_incident(incident, actor=cast.agent, resolution_code="solved",
                                       resolution_notes="Cleared the stored credentials.")
    incident.refresh_from_db()
    article = services.article_from_incident(incident, actor=cast.agent)
    assert (article.title, article.symptoms, article.solution, article.source_record) == (
        "Outlook asks for the password", "Every morning Outlook asks again.", "Cleared the stored credentials.",
        incident.number)
    assert services.article_from_incident(incident, actor=cast.agent) == article  # once per incident


def test_article_from_a_known_error(cast):
    class KnownError:
        number = "KE-000007"
        title = "Login loop after password change"
        symptoms = "The login page reloads."
        root_cause = "A stale session cookie."
        workaround = "Clear the cookies of the portal."

    article = services.article_from_known_error(KnownError(), cast.agent)
    assert (article.symptoms, article.cause, article.solution, article.source_record) == (
        "The login page reloads.", "A stale session cookie.", "Clear the cookies of the portal.", "KE-000007")
    assert article.state == ArticleState.DRAFT
