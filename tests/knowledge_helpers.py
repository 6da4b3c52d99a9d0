"""Articles for the knowledge tests, made through the services (the review flow is the only way to publish)."""

from knowledge import services
from knowledge.choices import Audience


def published_article(cast, *, title="Printer does not print", solution="Turn it off and on.", symptoms="",
                      audience=Audience.ALL_END_USERS, organisations=(), tags=(), author=None, reviewer=None):
    author = author or cast.agent
    reviewer = reviewer or cast.agent2
    article = services.create_article(actor=author, title=title, symptoms=symptoms, solution=solution,
                                      audience=audience, organisations=organisations, tags=tags)
    article = services.submit_article(article, actor=author, reviewer=reviewer)
    return services.approve_article(article, actor=reviewer)
