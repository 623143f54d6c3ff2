from django.urls import path

from pine import routing
from returns import api, views

app_name = "returns"

IMPORT = "returns/<uuid:code>/"

urlpatterns = routing.pages(
    partner=[
        path("evaluations/<uuid:code>/returns/", views.ReturnImportView.as_view(), name="import"),
        path(IMPORT, views.ReturnImportDetailView.as_view(), name="detail"),
    ],
)

api_urlpatterns = routing.api(
    partner=[
        path("evaluations/<uuid:code>/returns/", api.ReturnImportListView.as_view(), name="api_imports"),
        path(IMPORT, api.ReturnImportDetailView.as_view(), name="api_import"),
    ],
)
