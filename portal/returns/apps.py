from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "portal.returns"
    label = "returns"
    verbose_name = "质量关卡与上报"
