from django.urls import path

from accounts import api, session_api

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    path("me/", api.MeView.as_view(), name="api-me"),
    path(
        "me/sign-out-everywhere/",
        session_api.SignOutEverywhereView.as_view(),
        name="api-me-sign-out-everywhere",
    ),
    path("agencies/<slug:slug>/", api.AgencyView.as_view(), name="api-agency"),
    path("notifications/", api.NotificationListView.as_view(), name="api-notifications"),
    path(
        "notifications/read-all/",
        api.NotificationsReadAllView.as_view(),
        name="api-notifications-read-all",
    ),
    path(
        "notifications/<uuid:notice_id>/read/",
        api.NotificationReadView.as_view(),
        name="api-notification-read",
    ),
]
