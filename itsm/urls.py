from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from core import health
from core import views as core_views
from identity import views as identity_views
from incidents import views as incident_views
from records.urls import page_patterns

# The API docs (Swagger UI, ReDoc) write <style> elements at run time, so their pages allow inline styles (never
# inline scripts: Swagger's start-up script is served as a file by the split view); ReDoc searches in a blob: worker.
API_DOCS_POLICY = csp_replace({
    "style-src-elem": [SELF, UNSAFE_INLINE],
    "worker-src": [SELF, "blob:"],
})

urlpatterns = [
    path("", core_views.home, name="home"),
    path("health/", health.health, name="health"),
    path("accounts/", include("core.urls")),
    path("accounts/", include("apitokens.urls")),  # personal API tokens, a section of the preferences page
    path("accounts/saml/<str:organization_slug>/acs/finish/", identity_views.saml_finish_acs, name="saml_finish_acs"),
    path("accounts/", include("allauth.urls")),  # second factors (2fa/), single sign-on (oidc/, saml/)
    path("i18n/", include("django.conf.urls.i18n")),
    path("attachments/<int:pk>/", incident_views.attachment_download, name="attachment-download"),
    *page_patterns(),  # the practice apps' pages, as they registered them (records.registry)
    path("api/v1/", include("itsm.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", API_DOCS_POLICY(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("api/redoc/", API_DOCS_POLICY(SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"),
    path("admin/", admin.site.urls),
]

handler500 = "core.outage.server_error"  # a database outage answers 503 with Retry-After
