"""Guardian's direct foreign-key tables: the exceptions to the agency rule
(referrals, break-glass, explicit shares), granted only by services."""

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from casework.models.cases import Case
from casework.models.clients import Client


class CaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class ClientUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Client, on_delete=models.CASCADE)


class ClientGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Client, on_delete=models.CASCADE)
