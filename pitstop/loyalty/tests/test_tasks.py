"""The nightly job writes off what has expired, through the command a cron without Celery runs."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from pitstop.customers.tests.factories import CustomerFactory
from pitstop.loyalty import services
from pitstop.loyalty.models import PointsAccount
from pitstop.parts.services import Reference

pytestmark = pytest.mark.django_db


def test_the_nightly_command_expires_points_past_their_date(store_a, advisor):
    customer = CustomerFactory(store=store_a)
    long_ago = timezone.localdate() - datetime.timedelta(days=3 * 366)
    services.points_earn(
        actor=advisor,
        store=store_a,
        customer=customer,
        points=500,
        reference=Reference("test", 1, "T1"),
        on=long_ago,
    )
    out = StringIO()
    call_command("expire_loyalty", stdout=out)
    assert "500" in out.getvalue()
    assert PointsAccount.objects.get(customer=customer).balance == Decimal("0")
