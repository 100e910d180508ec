"""Deactivating a person revokes their API tokens at once (the authentication also refuses an inactive
person, so a token never outlives its person even between the two)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.dispatch import receiver

from apm.api.services import tokens_revoke_all


@receiver(post_save, sender=get_user_model(), dispatch_uid="apm_api_revoke_on_deactivate")
def _revoke_on_deactivate(sender: type[Any], instance: Any, created: bool, **kwargs: Any) -> None:
    if not created and not instance.is_active:
        tokens_revoke_all(user=instance)
