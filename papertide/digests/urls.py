from django.urls import path

from . import views

urlpatterns = [
    path("digests/", views.subscribe, name="digest-subscribe"),
    path("digests/mine/", views.mine, name="digest-mine"),
    path("digests/confirm/<str:token>/", views.confirm, name="digest-confirm"),
    path("digests/manage/<str:token>/", views.manage_by_link, name="digest-manage"),
    path("digests/unsubscribe/<str:token>/", views.unsubscribe, name="digest-unsubscribe"),
]
