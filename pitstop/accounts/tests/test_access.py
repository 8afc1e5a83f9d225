"""Stores, roles and the scoping every query goes through."""

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError

from pitstop.accounts.models import Membership, Role, User
from pitstop.accounts.roles import ROLE_CODES, ensure_default_roles
from pitstop.core.models import AuditEntry
from pitstop.core.scoping import scoped
from pitstop.customers.models import Customer
from pitstop.customers.tests.factories import CustomerFactory


def test_every_role_of_the_brief_exists_with_permissions(db):
    assert set(Role.objects.values_list("code", flat=True)) == set(ROLE_CODES)
    advisor = Role.objects.get(code="advisor")
    assert advisor.permissions.filter(codename="add_customer").exists()
    assert not Role.objects.get(code="care_agent").permissions.filter(codename="view_personal_data").exists()
    assert Role.objects.get(code="hq").all_stores


def test_a_permission_the_administrator_removed_is_not_given_back(db):
    role = Role.objects.get(code="advisor")
    role.permissions.remove(Permission.objects.get(codename="add_customer"))
    ensure_default_roles()
    assert not role.permissions.filter(codename="add_customer").exists()


def test_user_sees_only_stores_granted(store_a, store_b, advisor):
    mine = CustomerFactory(store=store_a)
    CustomerFactory(store=store_b)
    visible = scoped(Customer.objects.all(), advisor, "customers.view_customer")
    assert list(visible) == [mine]


def test_hq_role_sees_every_store(store_a, store_b, hq_store, make_staff):
    hq = make_staff("hq", hq_store)
    CustomerFactory(store=store_a)
    CustomerFactory(store=store_b)
    assert scoped(Customer.objects.all(), hq, "customers.view_customer").count() == 2
    assert not hq.store_ids_with("customers.add_customer")  # HQ reads; it does not write shop files


def test_permissions_are_per_store(store_a, store_b, make_staff):
    user = make_staff("advisor", store_a)
    Membership.objects.create(user=user, store=store_b, role=Role.objects.get(code="care_agent"))
    user = User.objects.get(pk=user.pk)
    assert user.store_ids_with("customers.view_personal_data") == {store_a.pk}
    assert user.store_ids_with("customers.view_customer") == {store_a.pk, store_b.pk}


def test_commands_for_scripted_deployments(db, capsys):
    call_command("create_store", "GZ01", "广州天河店")
    call_command(
        "create_staff", "lihua", "--password", "a-long-secret-9", "--store", "gz01", "--role", "cashier"
    )
    call_command("create_store", "GZ02", "广州番禺店")
    call_command("grant_store", "lihua", "--store", "GZ02", "--role", "advisor")
    user = User.objects.get(username="lihua")
    assert {(m.store.code, m.role.code) for m in user.memberships.select_related("store", "role")} == {
        ("GZ01", "cashier"),
        ("GZ02", "advisor"),
    }
    assert user.check_password("a-long-secret-9")
    assert user.password.startswith("argon2")
    assert AuditEntry.objects.filter(action="grant", object_id=str(user.pk)).count() == 2
    with pytest.raises(CommandError):
        call_command("create_staff", "x", "--password", "123", "--store", "GZ01", "--role", "cashier")
    with pytest.raises(CommandError):
        call_command("create_store", "GZ01", "again")
