from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView

from voxit import views

urlpatterns = [
    # The API first: votes are the busiest requests, and URLs are tried in order.
    path("api/v1/", include("statements.api_urls")),
    path("", include("statements.urls")),
    path("moderation/", include("moderation.urls")),
    path("reports/", include("clustering.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/login/", views.ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", views.health, name="health"),
    # Browsers and feed readers ask for /favicon.ico whatever the page links; the icon is an SVG.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True), name="favicon"),
    path("admin/login/", views.admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
]

handler400 = "voxit.views.bad_request"
handler403 = "voxit.views.permission_denied"
handler404 = "voxit.views.page_not_found"
handler500 = "voxit.views.server_error"
