"""Incident numbers past 999,999: one helper formats and parses every spelling a person may type."""

import pytest

from core.numbering import format_number, normalise_number, parse_number


@pytest.mark.parametrize(("n", "text"), [(123, "INC-000123"), (999_999, "INC-999999"), (1_000_123, "INC-1000123"),
                                         (99_999_999, "INC-99999999")])
def test_format_grows_past_six_digits(n, text):
    assert format_number("INC", n) == text


@pytest.mark.parametrize("text", ["INC-1234567", "inc-1234567", "1234567", " INC-01234567 "])
def test_parse_accepts_every_spelling(text):
    assert parse_number("INC", text) == 1_234_567


def test_parse_zero_padded_and_rejects_other_text():
    assert parse_number("INC", "INC-0001234") == 1234
    assert normalise_number("INC", "inc-0001234") == "INC-001234"
    assert parse_number("INC", "PRB-1234567") is None
    assert parse_number("INC", "printer") is None
    assert normalise_number("INC", "printer") == "printer"


@pytest.mark.parametrize("start", [999_998, 99_999_998])
def test_lookup_and_search_past_six_digits(cast, client, start):
    from django.db import connection

    from tests.factories import IncidentFactory

    with connection.cursor() as cursor:
        cursor.execute("SELECT setval('incidents_incident_number_seq', %s)", [start])
    _older, newer = (IncidentFactory(requester=cast.end_user) for _ in range(2))
    assert newer.number == format_number("INC", start + 2)
    client.force_login(cast.agent)
    n = start + 2
    for text in (f"INC-{n}", f"inc-{n}", str(n), f"INC-0{n}"):
        assert client.get(f"/desk/incidents/{text}/").status_code == 200, text
        found = client.get("/api/v1/incidents/", {"q": text}).json()["results"]
        assert [row["number"] for row in found] == [newer.number], text


def test_api_sorts_by_numeric_value_past_six_digits(cast, client):
    from django.db import connection

    from tests.factories import IncidentFactory

    with connection.cursor() as cursor:
        cursor.execute("SELECT setval('incidents_incident_number_seq', 999998)")
    numbers = [IncidentFactory(requester=cast.end_user).number for _ in range(3)]
    client.force_login(cast.agent)
    up = [r["number"] for r in client.get("/api/v1/incidents/", {"ordering": "number"}).json()["results"]]
    down = [r["number"] for r in client.get("/api/v1/incidents/", {"ordering": "-number"}).json()["results"]]
    assert up == numbers == ["INC-999999", "INC-1000000", "INC-1000001"]
    assert down == numbers[::-1]
