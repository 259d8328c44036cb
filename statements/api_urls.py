from django.urls import path

from statements import api

app_name = "api"

urlpatterns = [
    # Votes first: the busiest requests, and patterns are tried in order.
    path("conversations/<slug:slug>/votes/", api.VotesAPI.as_view(), name="votes"),
    path("conversations/", api.ConversationListAPI.as_view(), name="conversations"),
    path("conversations/<slug:slug>/", api.ConversationDetailAPI.as_view(), name="conversation"),
    path("conversations/<slug:slug>/next/", api.NextStatementAPI.as_view(), name="next"),
    path("conversations/<slug:slug>/votes/mine/", api.MyVotesAPI.as_view(), name="my_votes"),
    path("conversations/<slug:slug>/statements/", api.StatementsAPI.as_view(), name="statements"),
    path("conversations/<slug:slug>/statements/mine/", api.MyStatementsAPI.as_view(), name="my_statements"),
]
