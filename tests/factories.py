"""factory_boy factories for the shared models and incidents."""

import factory
from factory.django import DjangoModelFactory

from core.models import AssignmentGroup, Organisation, User
from core.roles import Role, grant_role
from incidents.choices import State
from incidents.models import Incident, next_numbers
from servicedesk.models import Category, Service

PASSWORD = "secret-pass-123"  # every factory-made user's, for tests that sign in through the login form


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    code = factory.Sequence(lambda n: f"org-{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            grant_role(self, extracted)
        self.save()


class AssignmentGroupFactory(DjangoModelFactory):
    class Meta:
        model = AssignmentGroup

    name = factory.Sequence(lambda n: f"Group {n}")


class ServiceFactory(DjangoModelFactory):
    class Meta:
        model = Service

    name = factory.Sequence(lambda n: f"Service {n}")


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")


class IncidentFactory(DjangoModelFactory):
    """Builds a row directly (for fixtures); behaviour under test goes through incidents.services."""

    class Meta:
        model = Incident

    number = factory.LazyFunction(lambda: next_numbers(1)[0])
    title = factory.Sequence(lambda n: f"Incident {n}")
    description = "Something is broken."
    requester = factory.SubFactory(UserFactory)
    organisation = factory.LazyAttribute(lambda i: i.requester.organisation)
    logged_by = factory.LazyAttribute(lambda i: i.requester)
    state = State.NEW


__all__ = [
    "PASSWORD", "AssignmentGroupFactory", "CategoryFactory", "IncidentFactory", "OrganisationFactory", "Role",
    "ServiceFactory", "UserFactory",
]
