"""The referrals panel of the case page, served by referrals: the casework
template includes it with ``{% case_referrals_panel case %}``, so casework
imports nothing of referrals."""

from django import template
from django.urls import reverse

from accounts.permissions import Perm
from casework.models import Case
from referrals.selectors import referral_from_case_refusal, referrals_of_case

register = template.Library()


def _may_refer_from(user, case: Case) -> bool:
    return (
        user.has_perm(Perm.SEND_REFERRAL, case.agency) and referral_from_case_refusal(case) is None
    )


@register.inclusion_tag("referrals/_case_panel.html", takes_context=True)
def case_referrals_panel(context, case: Case) -> dict:
    """The case's referrals (for those who may view them, newest first, at most
    50) and whether the user may refer the client from this case."""
    user = context["request"].user
    if not user.has_perm(Perm.VIEW_REFERRAL, case.agency):
        return {"case_referrals": None, "can_refer": False, "case": case}
    return {
        "case": case,
        "case_referrals": list(referrals_of_case(user, case.pk)[:50]),
        "can_refer": _may_refer_from(user, case),
    }


@register.simple_tag(takes_context=True)
def referral_form_url(context, case: Case) -> str:
    """The address of the form that refers the client from ``case``, when the
    user may do so now ("" otherwise): the case page's actions link to it with
    ``{% referral_form_url case as refer_url %}``."""
    if not _may_refer_from(context["request"].user, case):
        return ""
    return reverse("referrals:referral_new", args=[case.pk])
