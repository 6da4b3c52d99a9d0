"""The review flow of an article, declared as a records Workflow: draft → in review (submit, naming a reviewer) →
published (the reviewer or a lead approves) or back to draft (rejected with a reason); a published article is revised
as a new draft while its published revision stays visible; retired articles leave the portal."""

from records.workflow import AGENT, LEAD, StateInfo, Transition, Workflow

from .choices import ArticleAction, ArticleState

AUTHOR = "author"
REVIEWER = "reviewer"


def _is_author(user, article):
    return user.pk in (article.owner_id, article.drafted_by_id)


def _is_reviewer(user, article):
    return article.reviewer_id is not None and article.reviewer_id == user.pk


S, A = ArticleState, ArticleAction
WORKFLOW = Workflow(
    states={
        S.DRAFT: StateInfo(colour="secondary"),
        S.IN_REVIEW: StateInfo(colour="warning"),
        S.PUBLISHED: StateInfo(open=False, resolved=True, colour="success"),
        S.RETIRED: StateInfo(open=False, final=True, colour="dark"),
    },
    transitions=[
        Transition(A.SUBMIT, frozenset({S.DRAFT}), S.IN_REVIEW, frozenset({AUTHOR, LEAD})),
        # The author never approves their own article, even as a lead: services.approve_article refuses it.
        Transition(A.APPROVE, frozenset({S.IN_REVIEW}), S.PUBLISHED, frozenset({REVIEWER, LEAD})),
        Transition(A.REJECT, frozenset({S.IN_REVIEW}), S.DRAFT, frozenset({REVIEWER, LEAD})),
        Transition(A.REVISE, frozenset({S.PUBLISHED, S.RETIRED}), S.DRAFT, frozenset({AGENT})),
        Transition(A.RETIRE, frozenset({S.DRAFT, S.PUBLISHED}), S.RETIRED, frozenset({AUTHOR, LEAD})),
    ],
    state_labels=dict(ArticleState.choices),
    action_labels=dict(ArticleAction.choices),
    relations={AUTHOR: _is_author, REVIEWER: _is_reviewer},
)


def allowed_actions(user, article):
    actions = WORKFLOW.allowed_actions(user, article)
    if _is_author(user, article) and ArticleAction.APPROVE in actions:
        actions.remove(ArticleAction.APPROVE)
    return actions
