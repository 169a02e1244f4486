from django.urls import path

from . import views

urlpatterns = [
    path("", views.webhooks, name="webhooks"),
    path("<str:endpoint_id>/test/", views.send_test, name="webhook_send_test"),
    path("<str:endpoint_id>/roll/", views.roll_secret, name="webhook_roll_secret"),
    path("<str:endpoint_id>/disable/", views.set_status, {"enabled": False}, name="webhook_disable"),
    path("<str:endpoint_id>/enable/", views.set_status, {"enabled": True}, name="webhook_enable"),
    path("<str:endpoint_id>/delete/", views.delete, name="webhook_delete"),
    path("<str:endpoint_id>/deliveries/<str:delivery_id>/resend/", views.resend, name="webhook_resend"),
]
