from django.urls import path

from measures import api, views
from pine import routing

app_name = "measures"

MEASURE = "measures/<slug:measure_code>/"

urlpatterns = routing.pages(
    partner=[
        path(MEASURE, views.MeasureDetailView.as_view(), name="measure"),
        path(MEASURE + "edit/", views.LocalMeasureEditView.as_view(), name="measure_edit"),
    ],
    practice=[
        path("measures/", views.PracticeLibraryView.as_view(), name="practice_library"),
        path(MEASURE, views.PracticeMeasureView.as_view(), name="practice_measure"),
        path(MEASURE + "edit/", views.PracticeMeasureEditView.as_view(), name="practice_measure_edit"),
        path("local-measures/", views.PracticeLocalMeasuresView.as_view(), name="practice_local_measures"),
        path(
            "local-measures/<slug:partner_slug>/<slug:measure_code>/promote/",
            views.PracticePromoteView.as_view(),
            name="practice_promote",
        ),
    ],
)

api_urlpatterns = routing.api(
    user=[path("measures/", api.MeasureListView.as_view(), name="api_measures")],
    partner=[
        path("measures/", api.PartnerMeasureListView.as_view(), name="api_partner_measures"),
        path("local-measures/<slug:code>/", api.LocalMeasureDetailView.as_view(), name="api_local_measure"),
    ],
    practice=[
        path("measures/", api.PracticeMeasureListView.as_view(), name="api_practice_measures"),
        path("measures/<slug:code>/", api.PracticeMeasureDetailView.as_view(), name="api_practice_measure"),
        path("local-measures/", api.PracticeLocalMeasureListView.as_view(), name="api_practice_local_measures"),
        path(
            "local-measures/<slug:partner_slug>/<slug:code>/promote/",
            api.PracticePromoteView.as_view(),
            name="api_practice_promote",
        ),
    ],
)
