from django.urls import path

from matching import pool_views, readiness_views, sounding_views, views

app_name = "matching"

urlpatterns = [
    path("", views.index, name="index"),
    path("trusts/<str:ods_code>/", views.explorer, name="explorer"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("runs/<int:pk>/status/", views.run_status, name="run-status"),
    path("runs/<int:pk>/restart/", views.run_restart, name="run-restart"),
    path("wave/", views.wave, name="wave"),
    path("frameworks/", pool_views.framework_list, name="framework-list"),
    path("frameworks/new/", pool_views.framework_create, name="framework-create"),
    path("frameworks/<int:pk>/", pool_views.framework_detail, name="framework-detail"),
    path("frameworks/<int:pk>/advance/", pool_views.framework_advance, name="framework-advance"),
    path("frameworks/<int:pk>/apply/", pool_views.application_create, name="application-create"),
    path("frameworks/<int:pk>/pool/", pool_views.pool_view, name="pool"),
    path("applications/<int:pk>/", pool_views.application_detail, name="application-detail"),
    path("applications/<int:pk>/<str:action>/", pool_views.application_decide, name="application-decide"),
    # Soundings before procurement (matching.sounding_views).
    path("soundings/", sounding_views.sounding_list, name="sounding-list"),
    path("frameworks/<int:framework_pk>/soundings/", sounding_views.sounding_list, name="framework-soundings"),
    path("frameworks/<int:framework_pk>/soundings/new/", sounding_views.sounding_create, name="sounding-create"),
    path("soundings/<int:pk>/", sounding_views.sounding_detail, name="sounding-detail"),
    path("soundings/<int:pk>/answer/", sounding_views.sounding_answer_view, name="sounding-answer"),
    path("soundings/<int:pk>/close/", sounding_views.sounding_close_view, name="sounding-close"),
    # Pool readiness and recruitment (matching.readiness_views).
    path("frameworks/<int:pk>/readiness/", readiness_views.readiness_start, name="readiness-start"),
    path("pool-runs/<int:pk>/", readiness_views.readiness_detail, name="readiness-detail"),
    path("pool-runs/<int:pk>/restart/", readiness_views.readiness_restart, name="readiness-restart"),
    path("pool-runs/<int:pk>/recruit/", readiness_views.recruitment_start, name="recruitment-start"),
    path("pool-runs/<int:pk>/invite/<str:ods_code>/", readiness_views.invitation_create, name="recruitment-invite"),
    path("recruitment-invitations/<int:pk>/", readiness_views.invitation_detail, name="recruitment-invitation"),
    path("recruitment-invitations/<int:pk>/accept/", readiness_views.invitation_accept, name="recruitment-accept"),
    path("recruitment-invitations/<int:pk>/decline/", readiness_views.invitation_decline, name="recruitment-decline"),
]
