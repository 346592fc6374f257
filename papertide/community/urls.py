from django.urls import path, re_path

from . import feeds, views

urlpatterns = [
    path("daily/", views.daily, name="daily"),
    path("daily/feed/", feeds.DailyFeed(), name="daily-feed"),
    path("trending/feed/", feeds.TrendingFeed(), name="trending-feed"),
    path("users/<str:username>/feed/", feeds.SubmissionsFeed(), name="submissions-feed"),
    path("trending/", views.trending_page, name="trending"),
    path("daily/submit/", views.submit, name="submit"),
    path("daily/week/<slug>/", views.daily, {"kind": "week"}, name="daily-week"),
    path("daily/month/<slug>/", views.daily, {"kind": "month"}, name="daily-month"),
    path("daily/<slug>/", views.daily, {"kind": "day"}, name="daily-day"),
    re_path(
        r"^papers/(?P<arxiv_id>[a-z\-]+(?:\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})(?:v\d+)?/upvote/$",
        views.upvote,
        name="upvote",
    ),
]
