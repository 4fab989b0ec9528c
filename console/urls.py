from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from console import views
from console.urls_console import auth_urlpatterns


def _superusers_only(request) -> bool:
    # Django admin bypasses workspaces, so only superusers (admins of every workspace) get in,
    # not every is_staff user.
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only

urlpatterns = [
    path("healthz", views.healthz),
    path("v1/openapi.json", SpectacularAPIView.as_view(), name="openapi"),
    path("", include("memory.urls")),
    path("", include("dreams.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include(auth_urlpatterns)),
    path("", include("console.urls_console")),
]

handler400 = "console.views.bad_request"
handler403 = "console.views.forbidden"
handler404 = "console.views.not_found"
handler500 = "console.views.server_error"
