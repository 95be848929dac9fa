from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "portal.accounts"
    label = "accounts"
    verbose_name = "账户与单位授权"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save

        post_save.connect(_new_account_changes_password, sender=get_user_model())


def _new_account_changes_password(sender, instance, created, **kwargs):  # type: ignore[no-untyped-def]
    """Every new account, however made (setup, admin), must change its first password."""
    if created:
        from portal.accounts.models import Profile

        Profile.objects.get_or_create(user=instance, defaults={"must_change_password": True})
