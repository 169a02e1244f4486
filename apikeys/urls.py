from django.urls import path

from . import views

urlpatterns = [
    path("", views.security, name="security"),
    path("keys/<str:key_id>/edit/", views.edit, name="edit_key"),
    path("keys/<str:key_id>/roll/", views.roll, name="roll_key"),
    path("keys/<str:key_id>/revoke/", views.revoke, name="revoke_key"),
]
