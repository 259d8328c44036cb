from django.urls import path

from clustering import views

app_name = "reports"

urlpatterns = [
    path("", views.report_index, name="index"),
    path("<slug:slug>/", views.report, name="report"),
    path("<slug:slug>/recompute/", views.report_recompute, name="recompute"),
    path("<slug:slug>/export.zip", views.report_export, name="export"),
]
