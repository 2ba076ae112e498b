"""Silver's REST API at the root, as silver's own urls.py mounts it (without the admin)."""

from django.urls import include, re_path

urlpatterns = [re_path(r"", include("silver.api.urls"))]
