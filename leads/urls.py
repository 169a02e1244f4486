"""/leads/: the account's leads in the browser."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.leads_page, name="leads"),
    path("export.csv", views.export_csv, name="leads_export"),
    path("<str:lead_id>/delete/", views.delete, name="delete_lead"),
]
