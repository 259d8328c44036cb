from django.urls import path

from moderation import views

app_name = "moderation"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("queue/", views.queue, name="queue"),
    path("c/<slug:slug>/", views.queue, name="conversation_queue"),
    path("bulk/", views.bulk, name="bulk"),
    path("s/<int:statement_id>/", views.statement, name="statement"),
    path("s/<int:statement_id>/decide/", views.decide, name="decide"),
    path("s/<int:statement_id>/reverse/", views.reverse_decision, name="reverse"),
    path("log/", views.log, name="log"),
    path("log.csv", views.log_csv, name="log_csv"),
]
