from django.urls import path

from portal.returns import views

app_name = "returns"
urlpatterns = [
    path("<str:period>/", views.period_page, name="period"),
    path("<str:period>/explain/", views.explain, name="explain"),
    path("<str:period>/build/", views.build, name="build"),
    path("<str:period>/submit/", views.submit, name="submit"),
    path("<str:period>/v<int:version>/<str:name>", views.download, name="download"),
]
