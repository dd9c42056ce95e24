"""Who made a change, for the change history (django-simple-history).

Services, the engine and the demo data save outside a request, so simple-history cannot take the
author from the request: they name it on the instance before saving, through `set_history_user`
(the one place that sets simple-history's `_history_user`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db import models

if TYPE_CHECKING:
    from accounts.models import User

ModelT = TypeVar("ModelT", bound=models.Model)


def set_history_user(obj: ModelT, user: User) -> ModelT:
    """Name `user` as the author of the history row that obj's next save writes; returns obj."""
    # simple-history's documented per-instance hook: an attribute it reads on save, not a field
    # the model declares, so mypy does not know it.
    obj._history_user = user  # type: ignore[attr-defined]
    return obj
