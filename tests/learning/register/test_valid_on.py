"""One rule for "a certification valid on a day": not revoked, issued on or before it, expiring on or after it
(with an optional grace after expiry); the queryset and the loaded certification agree."""

import datetime

import pytest

from learning.models import Certification
from tests.factories import CertificationFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 6, 15)


def valid(certification, day, **kwargs):
    return Certification.objects.valid_on(day, **kwargs).filter(pk=certification.pk).exists()


def test_valid_from_the_day_of_issue_to_the_day_of_expiry():
    certification = CertificationFactory(issued_on=DAY, expires_on=DAY + datetime.timedelta(days=10))
    assert valid(certification, DAY) and valid(certification, DAY + datetime.timedelta(days=10))
    assert certification.is_valid_on(DAY) and certification.is_valid_on(DAY + datetime.timedelta(days=10))


def test_not_valid_before_issue_nor_after_expiry():
    certification = CertificationFactory(issued_on=DAY, expires_on=DAY + datetime.timedelta(days=10))
    for day in (DAY - datetime.timedelta(days=1), DAY + datetime.timedelta(days=11)):
        assert not valid(certification, day)
        assert not certification.is_valid_on(day)


def test_a_revoked_certification_is_never_valid():
    certification = CertificationFactory(
        issued_on=DAY, revoked_at=datetime.datetime(2026, 6, 16, tzinfo=datetime.UTC), revoked_reason="Fraud"
    )
    assert not valid(certification, DAY + datetime.timedelta(days=5))
    assert not certification.is_valid_on(DAY + datetime.timedelta(days=5))


def test_a_grace_period_extends_validity_past_expiry():
    certification = CertificationFactory(issued_on=DAY, expires_on=DAY + datetime.timedelta(days=10))
    later = DAY + datetime.timedelta(days=15)
    assert valid(certification, later, grace=datetime.timedelta(days=5))
    assert not valid(certification, later, grace=datetime.timedelta(days=4))
