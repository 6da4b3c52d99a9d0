"""core.outage.server_error (handler500): a database error is a 503 with Retry-After, rendered without the database;
any other error stays a plain 500."""

import json

import pytest
from django import db
from django.test import RequestFactory
from django.utils import translation

from core.outage import server_error


def _answer_while_handling(error, path, **headers):
    request = RequestFactory().get(path, **headers)
    try:
        raise error
    except Exception:  # noqa: BLE001 - Django calls handler500 while the exception is being handled
        return server_error(request)


def test_a_page_gets_the_translated_unavailable_page():
    # No `db` fixture: pytest-django fails any database access, so the page is proven to be made without one.
    with translation.override("zh-hans"):
        response = _answer_while_handling(db.OperationalError("connection refused"), "/desk/incidents/")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "服务台暂时无法使用" in response.content.decode()


def test_the_api_gets_json():
    response = _answer_while_handling(db.InterfaceError("connection already closed"), "/api/v1/incidents/")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "database" in json.loads(response.content)["detail"]


@pytest.mark.parametrize("path", ["/desk/incidents/", "/api/v1/incidents/"])
def test_other_errors_stay_500(path):
    response = _answer_while_handling(ValueError("a bug"), path)
    assert response.status_code == 500 and "Retry-After" not in response
