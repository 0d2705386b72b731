"""Break-the-glass access (DESIGN §2.5, §5): the running emergency grants the
casework scope reads. Opening one, and the rest of data protection (legal
holds, retention, erasures), is ``privacy``'s."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.models.cases import Case


class BreakGlass(models.Model):
    """A supervisor's emergency access to a case outside their scope: limited
    in time, with a written reason, shown to the owning agency."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="break_glass")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    started_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(editable=False)

    class Meta:
        verbose_name = _("emergency access")
        verbose_name_plural = _("emergency accesses")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["user", "expires_at"], name="break_glass_user_expiry")]

    def __str__(self) -> str:
        return str(self.pk)

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now()
