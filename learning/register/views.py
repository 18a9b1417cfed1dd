"""The register's public face: a participant's certification card, and verification of any card by its number."""

import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from learning.common.models import portal_settings
from learning.common.rate_limits import client_address, over_limit
from learning.register.cards import certification_card_pdf
from learning.register.models import NUMBER_FORMAT_TEXT, Certification, is_certification_number


@login_required
@never_cache
def certification_card(request, number):
    """The wallet card of one of the participant's certifications, its number in any case. A revoked one has no
    card: a printed card would still say "valid until"."""
    certification = (
        Certification.objects.select_related("course", "participant")
        .filter(number__iexact=number, participant=request.user, revoked_at__isnull=True)
        .first()
    )
    if certification is None:
        raise Http404("No such certification of yours.")
    response = HttpResponse(certification_card_pdf(certification), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certification.number}.pdf"'
    return response


def over_rate_limit(request, scope: str, per_minute: int) -> bool:
    """A one-minute window per client address, counted in the cache."""
    return over_limit(scope, client_address(request), limit=per_minute, window=datetime.timedelta(minutes=1))


# A verification result names a person: personal, whoever asks.
@cache_control(private=True)
@require_GET
def verify(request, number=None):
    """Anyone checks a card by its number, in any case. Whatever the address or query holds, the answer is the
    form (200), the certification (200) or "no such certification" (404): text that cannot be a number is never
    looked up, never put back into a URL, and shown only shortened."""
    number = (number or request.GET.get("number", "")).strip()
    well_formed = is_certification_number(number)
    if well_formed and request.GET.get("number"):
        return redirect("verify_certification", number=number)
    context = {
        "number": number if len(number) <= 60 else number[:57] + "...",
        "well_formed": well_formed,
        "number_format": NUMBER_FORMAT_TEXT,
    }
    if number:
        if over_rate_limit(request, "verify", portal_settings(request).verify_rate_per_minute):
            response = render(request, "learning/verify.html", {**context, "rate_limited": True}, status=429)
            response["Retry-After"] = "60"
            return response
        certification = None
        if well_formed:
            certification = (
                Certification.objects.select_related("course", "participant").filter(number__iexact=number).first()
            )
        context["certification"] = certification
        if certification:
            context["status"] = certification.status_on(timezone.localdate())
    response = render(
        request, "learning/verify.html", context, status=200 if not number or context.get("certification") else 404
    )
    response["X-Robots-Tag"] = "noindex"
    return response
