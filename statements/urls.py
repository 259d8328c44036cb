from django.urls import path

from clustering import views as clustering_views
from statements import views

app_name = "statements"

urlpatterns = [
    path("", views.conversation_list, name="conversation_list"),
    path("c/<slug:slug>/", views.conversation_detail, name="conversation"),
    path("c/<slug:slug>/vote/", views.vote, name="vote"),
    path("c/<slug:slug>/answers/", views.answers, name="answers"),
    path("c/<slug:slug>/statements/new/", views.statement_new, name="statement_new"),
    path("c/<slug:slug>/statements/mine/", views.my_statements, name="mine"),
    path("c/<slug:slug>/s/<int:statement_id>/", views.statement_detail, name="statement"),
    path("c/<slug:slug>/results/", clustering_views.results, name="results"),
]
