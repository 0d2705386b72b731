from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import second_factor_views, session_views, views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/me/", views.account, name="account"),
    path("accounts/me/time-zone/", views.own_time_zone, name="own_time_zone"),
    path("accounts/me/dates/", views.own_date_display, name="own_date_display"),
    path("accounts/me/tokens/<uuid:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        session_views.PasswordFromLinkView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_set_done.html"
        ),
        name="password_reset_complete",
    ),
    # Password and sessions (accounts.session_views).
    path("accounts/me/password/", session_views.own_password, name="own_password"),
    path(
        "accounts/me/sign-out-everywhere/",
        session_views.sign_out_everywhere,
        name="sign_out_everywhere",
    ),
    path(
        "agencies/<slug:slug>/team/<uuid:membership_id>/sign-out-everywhere/",
        session_views.sign_out_member,
        name="sign_out_member",
    ),
    path("language/", views.switch_language, name="switch_language"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/<uuid:notice_id>/open/", views.notice_open, name="notice_open"),
    path("agencies/<slug:slug>/team/", views.team, name="team"),
    path("agencies/<slug:slug>/time-zone/", views.agency_time_zone, name="agency_time_zone"),
    path("agencies/<slug:slug>/inactivity/", views.agency_inactivity, name="agency_inactivity"),
    path("agencies/<slug:slug>/small-cells/", views.agency_small_cell, name="agency_small_cell"),
    path("agencies/<slug:slug>/active-pdfs/", views.agency_active_pdf, name="agency_active_pdf"),
    path("agencies/<slug:slug>/team/<uuid:membership_id>/", views.member, name="member"),
    path(
        "agencies/<slug:slug>/team/<uuid:membership_id>/reset-second-factor/",
        second_factor_views.reset_member,
        name="reset_second_factor",
    ),
    path(
        "agencies/<slug:slug>/team/<uuid:membership_id>/resend-invitation/",
        views.resend_invitation,
        name="resend_invitation",
    ),
]
