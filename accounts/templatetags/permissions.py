"""`{% if request.membership|can:"mailbox.delete" %}`: show a control only to roles that may
use it (accounts/permissions.py decides; the view refuses the rest anyway)."""

from django import template

from accounts import permissions

register = template.Library()


@register.filter
def can(membership, action: str) -> bool:
    return permissions.can(membership, action)
