from django.urls import path

from . import views

app_name = "messaging"
urlpatterns = [
    path("messages/", views.outbox, name="outbox"),
    path("messages/<int:pk>/", views.message_detail, name="message_detail"),
    path("messages/<int:pk>/resend/", views.message_resend, name="message_resend"),
    path("messages/templates/", views.template_list, name="template_list"),
    path("messages/templates/new/", views.template_create, name="template_create"),
    path("messages/templates/<int:pk>/", views.template_edit, name="template_edit"),
]
