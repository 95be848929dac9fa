from django.urls import path

from portal.submissions import views

app_name = "submissions"
urlpatterns = [
    path("", views.my_forms, name="my_forms"),
    path("d/<str:department>/<str:form>/<str:period>/", views.duty_detail, name="duty"),
    path("d/<str:department>/<str:form>/<str:period>/template.<str:fmt>", views.template, name="template"),
    path("d/<str:department>/<str:form>/<str:period>/upload/", views.upload, name="upload"),
    path("d/<str:department>/<str:form>/<str:period>/online/", views.online, name="online"),
    path("submission/<int:pk>/", views.submission, name="submission"),
    path("submission/<int:pk>/explain/", views.explain, name="explain"),
    path("receipt/<str:submission_id>.<str:fmt>", views.receipt, name="receipt"),
    path("archive/<str:submission_id>/", views.archived, name="archived"),
]
