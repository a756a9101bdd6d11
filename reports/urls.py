from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("register/", views.register, name="register"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("arrangements/<int:pk>/pack/", views.pack, name="pack"),
    path("exports/<int:pk>/", views.export_job, name="export-job"),
    path("exports/<int:pk>/status/", views.export_job_status, name="export-status"),
    path("exports/<int:pk>/restart/", views.export_job_restart, name="export-restart"),
    path("exports/<int:pk>/download/", views.export_job_download, name="export-download"),
    path("<slug:kind>/", views.report, name="report"),
    path("<slug:kind>/export/", views.export, name="export"),
]
