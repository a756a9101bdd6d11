from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from buddying import views

admin.site.site_header = "Buddying administration"
admin.site.site_title = "Buddying administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", login_not_required(views.SignInView.as_view()), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("trusts/", views.trust_directory, name="trust-directory"),
    path("trusts/map/", views.trust_map, name="trust-map"),
    path("trusts/<str:ods_code>/", views.trust_detail, name="trust-detail"),
    path("trusts/<str:ods_code>/edit/", views.trust_edit, name="trust-edit"),
    path("trusts/<str:ods_code>/culture/", views.trust_culture_edit, name="trust-culture-edit"),
    path("trusts/<str:ods_code>/expertise/", views.trust_expertise_edit, name="trust-expertise-edit"),
    path("trusts/<str:ods_code>/needs/", views.trust_needs_edit, name="trust-needs-edit"),
    path("trusts/<str:ods_code>/relationships/new/", views.trust_relationship_new, name="trust-relationship-new"),
    path("relationships/<int:pk>/confirm/", views.relationship_confirm, name="relationship-confirm"),
    path("relationships/<int:pk>/decline/", views.relationship_decline, name="relationship-decline"),
    path("relationships/<int:pk>/remove/", views.relationship_remove, name="relationship-remove"),
    path("people/", views.people, name="people"),
    path("people/invite/", views.people_invite, name="people-invite"),
    path("people/invitations/<int:pk>/send-again/", views.people_invitation_resend, name="people-invitation-resend"),
    path("people/invitations/<int:pk>/cancel/", views.people_invitation_cancel, name="people-invitation-cancel"),
    # Anyone holding the link (views marked @login_not_required).
    path("people/sign-up/<str:token>/", views.people_signup, name="people-signup"),
    path("people/sign-up/<str:token>/new-link/", views.people_signup_new_link, name="people-signup-new-link"),
    path("account/", views.account, name="account"),
    path("account/password/", views.AccountPasswordChangeView.as_view(), name="password_change"),
    # Django's names for the reset views, which are login_not_required already.
    path("account/password/reset/", views.AccountPasswordResetView.as_view(), name="password_reset"),
    path("account/password/reset/sent/", views.AccountPasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "account/password/reset/<uidb64>/<token>/",
        views.AccountPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("matching/", include("matching.urls")),
    path("arrangements/", include("arrangements.urls")),
    path("reports/", include("reports.urls")),
    path("admin/", admin.site.urls),
]

# Any error a view or middleware leaves unhandled: a database outage is the 503 page (buddying.unavailable).
handler500 = "buddying.unavailable.server_error"
