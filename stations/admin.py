from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from stations.models import ApiToken, Membership, MembershipEvent, ReceptionSlot, Region, Unit, User
from stations.services import membership_grant, membership_revoke
from stations.tokens import tokens_revoke


class MembershipInline(admin.TabularInline):
    """A role is given or taken away, never edited: existing rows are read-only."""

    model = Membership
    extra = 0

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class RolesOfStaffInline(MembershipInline):
    autocomplete_fields = ["unit"]


class StaffOfUnitInline(MembershipInline):
    autocomplete_fields = ["user"]


class GrantsThroughServicesMixin:
    """Roles added or removed in an inline go through the services, which audit them with the
    administrator as actor (MembershipEvent, the security log)."""

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        # Existing rows are read-only (MembershipInline): only new and deleted ones arrive.
        for membership in formset.save(commit=False):
            membership_grant(user=membership.user, unit=membership.unit, role=membership.role, actor=request.user)
        for membership in formset.deleted_objects:
            membership_revoke(user=membership.user, unit=membership.unit, role=membership.role, actor=request.user)
        formset.save_m2m()


@admin.register(User)
class StaffAdmin(GrantsThroughServicesMixin, UserAdmin):
    list_display = ["username", "full_name", "phone", "is_active", "last_login"]
    search_fields = ["username", "full_name", "phone"]
    ordering = ["username"]
    inlines = [RolesOfStaffInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "phone", "email")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "phone", "password1", "password2")}),
    )
    actions = ["revoke_api_tokens"]

    @admin.action(description=_("Revoke API tokens"), permissions=["change"])
    def revoke_api_tokens(self, request, queryset):
        revoked = sum(
            tokens_revoke(user_id=pk, reason="revoked by an administrator")
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(
            request,
            ngettext("%(count)d API token revoked.", "%(count)d API tokens revoked.", revoked) % {"count": revoked},
            messages.SUCCESS,
        )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Who holds API tokens, until when; deleting one revokes it. Tokens are issued by the
    token endpoint only, and only their digest is kept: nothing here shows a usable token."""

    list_display = ["user", "created", "expiry", "two_factor"]
    list_filter = ["two_factor"]
    search_fields = ["user__username", "user__full_name"]
    list_select_related = ["user"]
    ordering = ["-created"]
    fields = ["user", "created", "expiry", "two_factor"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    list_select_related = ["parent"]


@admin.register(Unit)
class UnitAdmin(GrantsThroughServicesMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "region", "phone", "is_active"]
    list_filter = ["kind", "is_active", "region__level"]
    search_fields = ["name", "region__name", "region__code"]
    autocomplete_fields = ["region"]
    list_select_related = ["region"]
    inlines = [StaffOfUnitInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Roles are given (add) and taken away (delete) through the services, which audit them;
    a role is never edited in place."""

    list_display = ["user", "unit", "role", "created_at"]
    list_filter = ["role", "unit__kind"]
    search_fields = ["user__username", "user__full_name", "unit__name"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "unit"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj: Membership, form, change: bool) -> None:
        granted = membership_grant(user=obj.user, unit=obj.unit, role=obj.role, actor=request.user)
        obj.pk, obj.created_at = granted.pk, granted.created_at
        obj._state.adding = False

    def delete_model(self, request, obj: Membership) -> None:
        membership_revoke(user=obj.user, unit=obj.unit, role=obj.role, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for membership in queryset.select_related("user", "unit"):
            self.delete_model(request, membership)


@admin.register(MembershipEvent)
class MembershipEventAdmin(admin.ModelAdmin):
    """Who gave or took away which role, when: read-only, written by the services."""

    list_display = ["created_at", "verb", "user", "unit", "role", "actor"]
    list_filter = ["verb", "role", "unit__kind"]
    search_fields = ["user__username", "user__full_name", "unit__name", "actor__username"]
    list_select_related = ["user", "unit", "actor"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReceptionSlot)
class ReceptionSlotAdmin(admin.ModelAdmin):
    list_display = ["who", "region", "frequency", "days", "start_time", "end_time", "place", "is_active"]
    list_filter = ["frequency", "is_active", "region__level"]
    search_fields = ["who", "place", "region__name", "region__code"]
    autocomplete_fields = ["region"]
    list_select_related = ["region"]
    list_editable = ["is_active"]
