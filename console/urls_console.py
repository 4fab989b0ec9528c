from django.contrib.auth import views as auth_views
from django.urls import include, path

from console.views import auth, memories, stores

app_name = "console"

urlpatterns = [
    path("", auth.home, name="home"),
    path("w/<str:workspace_id>/", stores.workspace, name="workspace"),
    path("w/<str:workspace_id>/stores/<str:store_id>/", memories.browse, name="store"),
    path("w/<str:workspace_id>/stores/<str:store_id>/archive", stores.archive_store, name="store_archive"),
    path("w/<str:workspace_id>/stores/<str:store_id>/memories/new", memories.memory_new, name="memory_new"),
    path("w/<str:workspace_id>/stores/<str:store_id>/memories/<str:memory_id>", memories.memory_detail,
         name="memory"),
    path("w/<str:workspace_id>/stores/<str:store_id>/memories/<str:memory_id>/edit", memories.memory_edit,
         name="memory_edit"),
    path("w/<str:workspace_id>/stores/<str:store_id>/memories/<str:memory_id>/delete", memories.memory_delete,
         name="memory_delete"),
    path("", include("console.routes.history")),
    path("", include("console.routes.admin")),
    path("", include("console.routes.sessions")),
    path("", include("console.routes.dreams")),
]

# Sign in and out are Django's own views, outside the namespace so LOGIN_URL = "login" resolves.
auth_urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
