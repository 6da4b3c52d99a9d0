"""Pages read in Simplified Chinese show no English that came from elsewhere: the dashboard's period options, holiday
names a colleague filled in while working in English (the holidays library names China's holidays in Chinese), and
hand-typed names as they were typed.
"""

from django.utils import translation

from sla import services
from tests.sla_helpers import make_calendar


def in_chinese(user):
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    return user


def test_the_dashboards_period_options_are_in_chinese(cast, as_user):
    page = as_user(in_chinese(cast.manager)).get("/sla/dashboard/").content.decode()
    assert "最近 7 天" in page and "最近 90 天" in page
    assert "Last 7 days" not in page and "Last 30 days" not in page


def test_holidays_filled_in_english_are_named_in_the_readers_language(cast, as_user):
    calendar = make_calendar(cast.admin)
    with translation.override("en"):
        services.fill_calendar(calendar, actor=cast.admin, year=2026, country="CN")
        english = as_user(cast.admin).get(f"/sla/calendars/{calendar.pk}/?year=2026").content.decode()
    assert "New Year&#x27;s Day" in english and "National Day" in english

    chinese = as_user(in_chinese(cast.admin)).get(f"/sla/calendars/{calendar.pk}/?year=2026").content.decode()
    assert "元旦" in chinese and "国庆节" in chinese and "春节" in chinese
    for english_name in ("New Year", "National Day", "Spring Festival", "Day off", "Make-up working day"):
        assert english_name not in chinese, english_name


def test_a_hand_edited_holiday_keeps_its_typed_name(cast, as_user):
    calendar = make_calendar(cast.admin)
    with translation.override("en"):
        services.fill_calendar(calendar, actor=cast.admin, year=2026, country="CN")
    new_year = calendar.exceptions.get(date="2026-01-01")
    services.save_exception(calendar, actor=cast.admin, exception=new_year, date=new_year.date, kind=new_year.kind,
                            name="公司年会 Company party")
    chinese = as_user(in_chinese(cast.admin)).get(f"/sla/calendars/{calendar.pk}/?year=2026").content.decode()
    assert "公司年会 Company party" in chinese


def test_the_admin_index_and_the_lockout_logs_are_in_chinese(cast, as_user):
    cast.admin.is_staff = cast.admin.is_superuser = True  # the admin site's own gate
    cast.admin.save()
    client = as_user(in_chinese(cast.admin))
    index = client.get("/admin/").content.decode()
    assert "模型名称" in index and "Model name" not in index and "Access attempts" not in index
    logs = client.get("/admin/axes/accesslog/").content.decode()
    assert "用户代理" in logs and "User Agent" not in logs


def test_the_api_docs_schema_is_in_the_readers_language(cast, as_user):
    """The docs page (Swagger UI) loads the schema with the reader's session, so its texts follow their language."""
    client = as_user(in_chinese(cast.agent))
    docs = client.get("/api/docs/").content.decode()
    assert '<html lang="zh-hans">' in docs
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    listing = schema["paths"]["/api/v1/incidents/"]["get"]
    assert listing["responses"]["404"]["description"] == "未找到，或调用者无权查看。"
    assert "Refuse keys" not in str(schema)  # a mixin's docstring is not an API description
