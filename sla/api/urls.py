"""Routes of the SLA API under /api/v1/sla/."""

from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("sla/calendars", views.BusinessCalendarViewSet, basename="businesscalendar")
router.register(r"sla/calendars/(?P<calendar_pk>[0-9]+)/exceptions", views.CalendarExceptionViewSet,
                basename="calendarexception")

router.register("sla/agreements", views.SLADefinitionViewSet, basename="sladefinition")
router.register("sla/clocks", views.SLAClockViewSet, basename="slaclock")

urlpatterns = router.urls
