"""The administrator's pages: accounts, roles (groups), department grants, the audit log (read-only)."""

from django.contrib import admin

from portal.accounts.models import AuditEntry, DepartmentGrant, Profile


@admin.register(DepartmentGrant)
class DepartmentGrantAdmin(admin.ModelAdmin):
    list_display = ("user", "department_code", "granted_at")
    search_fields = ("user__username", "department_code")


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "must_change_password")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "username", "action", "target", "address")
    search_fields = ("username", "action", "target", "detail", "address")
    list_filter = ("action",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
