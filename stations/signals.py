"""Revoke a person's API tokens when what they were issued against changes, wherever it
changes: the staff's own password page, the admin, `set_password()` in a shell or a
command, a TOTP device deleted by its owner or by an administrator (stations.tokens).

Signals, not the views: a token must not outlive a password however the password was set.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django_otp.plugins.otp_totp.models import TOTPDevice

from stations.models import User
from stations.tokens import tokens_revoke

_PASSWORD_CHANGED = "_suqiu_password_changed"


@receiver(pre_save, sender=User, dispatch_uid="suqiu_tokens_password_seen")
def _note_password_change(sender, instance: User, raw=False, update_fields=None, **kwargs):
    # Like a session (whose hash is made from the stored password), a token ends when the
    # stored hash changes. One read, only for saves that may write the password.
    if raw or instance._state.adding or (update_fields is not None and "password" not in update_fields):
        return
    stored = User.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    setattr(instance, _PASSWORD_CHANGED, stored is not None and stored != instance.password)


@receiver(post_save, sender=User, dispatch_uid="suqiu_tokens_password_changed")
def _revoke_on_password_change(sender, instance: User, **kwargs):
    if instance.__dict__.pop(_PASSWORD_CHANGED, False):
        tokens_revoke(user_id=instance.pk, reason="password changed")


@receiver(post_delete, sender=TOTPDevice, dispatch_uid="suqiu_tokens_device_removed")
def _revoke_on_device_removal(sender, instance: TOTPDevice, **kwargs):
    # An unconfirmed device (an enrolment not finished) never gave a code: nothing to revoke.
    if instance.confirmed:
        tokens_revoke(user_id=instance.user_id, reason="two-factor device removed")
