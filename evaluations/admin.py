"""Appraisals in the Django admin: read mostly; every change of state goes through the services."""

from django.contrib import admin

from evaluations.models import AppraisalEvent, Campaign, Commitment, Participant, Question, RectificationItem


class ParticipantInline(admin.TabularInline):
    model = Participant
    fields = ["unit", "questionnaire_score", "hearing_score", "case_score", "composite", "band", "rank", "vetoed"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "region", "state", "published_at"]
    list_filter = ["state", "year"]
    readonly_fields = ["state", "created_by", "created_at", "published_at"]
    inlines = [QuestionInline, ParticipantInline]

    def has_delete_permission(self, request, obj=None):
        # Deleting would take its audit trail along (AppraisalEvent), which is append-only.
        return False


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin):
    list_display = ["text", "participant", "sort_order"]


@admin.register(RectificationItem)
class RectificationItemAdmin(admin.ModelAdmin):
    list_display = ["description", "owner", "deadline", "status", "reminded_at"]
    list_filter = ["status"]
    readonly_fields = ["reminded_at", "done_at"]

    def has_delete_permission(self, request, obj=None):
        # An item's audit events are append-only; a mistaken item is marked, not erased.
        return False


@admin.register(AppraisalEvent)
class AppraisalEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "campaign", "verb", "actor", "note"]
    list_filter = ["verb"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
