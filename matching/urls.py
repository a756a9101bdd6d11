from django.urls import path

from matching import pool_views, sounding_views, views

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
]
