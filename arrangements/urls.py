from django.urls import path

from arrangements import views

app_name = "arrangements"

urlpatterns = [
    path("", views.arrangement_list, name="list"),
    path("new/", views.propose, name="propose"),
    path("notifications/", views.notifications, name="notifications"),
    path("invitations/", views.invitations, name="invitations"),
    path("call-offs/new/", views.call_off_new, name="call-off-new"),
    path("call-offs/<int:pk>/", views.call_off_detail, name="call-off"),
    path("call-offs/<int:pk>/invite/", views.call_off_invite, name="call-off-invite"),
    path("call-offs/<int:pk>/reply-by/", views.call_off_reply_by, name="call-off-reply-by"),
    path("call-offs/<int:pk>/cancel/", views.call_off_cancel, name="call-off-cancel"),
    path("call-offs/<int:pk>/go-ahead/", views.call_off_go_ahead, name="call-off-go-ahead"),
    path("call-offs/<int:pk>/trusts/<str:ods_code>/chase/", views.call_off_chase, name="call-off-chase"),
    path("call-offs/<int:pk>/trusts/<str:ods_code>/answer/", views.call_off_record_answer, name="call-off-answer"),
    path("call-offs/<int:pk>/trusts/<str:ods_code>/withdraw/", views.call_off_withdraw, name="call-off-withdraw"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/agree/", views.agree, name="agree"),
    path("<int:pk>/decline/", views.decline, name="decline"),
    path("<int:pk>/end/", views.terminate, name="terminate"),
    path("<int:pk>/terms/edit/", views.terms_edit, name="terms-edit"),
    path("<int:pk>/terms/<int:terms_pk>/sign/", views.terms_sign, name="terms-sign"),
    path("<int:pk>/workstreams/new/", views.workstream_add, name="workstream-add"),
    path("<int:pk>/workstreams/<int:workstream_pk>/milestones/new/", views.milestone_add, name="milestone-add"),
    path("<int:pk>/workstreams/<int:workstream_pk>/edit/", views.workstream_edit, name="workstream-edit"),
    path("<int:pk>/workstreams/<int:workstream_pk>/remove/", views.workstream_remove, name="workstream-remove"),
    path("<int:pk>/milestones/<int:milestone_pk>/edit/", views.milestone_edit, name="milestone-edit"),
    path("<int:pk>/milestones/<int:milestone_pk>/remove/", views.milestone_remove, name="milestone-remove"),
    path("<int:pk>/inputs/new/", views.input_add, name="input-add"),
    path("<int:pk>/reviews/new/", views.review_add, name="review-add"),
    path("<int:pk>/reviews/submissions/<int:submission_pk>/edit/", views.review_edit, name="review-edit"),
    path("<int:pk>/reviews/<int:review_pk>/note/", views.review_note, name="review-note"),
    path("<int:pk>/actions/<str:action>/", views.transition, name="transition"),
    path("<int:pk>/<str:tab>/", views.detail, name="tab"),
]
