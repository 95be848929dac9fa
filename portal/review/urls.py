from django.urls import path

from portal.review import views

app_name = "review"
urlpatterns = [
    path("", views.board, name="board"),
    path("submission/<str:submission_id>/", views.detail, name="detail"),
    path("submission/<str:submission_id>/approve/", views.approve, name="approve"),
    path("submission/<str:submission_id>/return/", views.send_back, name="return"),
    path("submission/<str:submission_id>/receipt.<str:fmt>", views.receipt, name="receipt"),
]
