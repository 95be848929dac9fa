from django.urls import path

from portal.upstream import views

app_name = "upstream"
urlpatterns = [
    path("upload/", views.upload, name="upload"),
]
