"""Every route of the portal: accounts, the submitters' pages, the analysts' pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal.accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", account_views.FirstPasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("forms/", include("portal.submissions.urls")),
    path("review/", include("portal.review.urls")),
    path("returns/", include("portal.returns.urls")),
    path("upstream/", include("portal.upstream.urls")),
    path("admin/", admin.site.urls),
]
