"""Routes of the problem API under /api/v1/."""

from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("problems", views.ProblemViewSet, basename="problem")
router.register("problem-candidates", views.CandidateViewSet, basename="problemcandidate")

urlpatterns = router.urls
