from django.urls import path, re_path

from papertide.catalog.ids import URL_ID

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
    re_path(rf"^papers/{URL_ID}/upvote/$", views.upvote, name="upvote"),
    re_path(rf"^papers/{URL_ID}/comments/$", views.comment, name="comment"),
    path("comments/<int:pk>/edit/", views.edit_comment, name="comment-edit"),
    path("comments/<int:pk>/delete/", views.delete_comment, name="comment-delete"),
    path("comments/<int:pk>/report/", views.report_comment, name="comment-report"),
]
