"""Login, lockout, language, security headers, the shell."""

import os
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

from pitstop.accounts.models import User
from pitstop.core.models import AuditEntry


def test_login_lands_on_the_home_page_in_chinese(client, advisor):
    response = client.post(
        reverse("accounts:login"),
        {"username": advisor.username, "password": "correct horse battery"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == "/"
    assert "客户" in response.content.decode()  # the menu, in Chinese by default


def test_wrong_password_says_so_in_chinese_and_locks_after_five(client, advisor):
    for _ in range(5):
        response = client.post(reverse("accounts:login"), {"username": advisor.username, "password": "wrong"})
    assert "请输入一个正确的" in response.content.decode() or response.status_code in (403, 429)
    response = client.post(
        reverse("accounts:login"), {"username": advisor.username, "password": "correct horse battery"}
    )
    assert response.status_code in (403, 429)
    assert "登录失败次数过多" in response.content.decode()


def test_pages_need_login(client, db):
    response = client.get(reverse("customers:customer_list"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_language_follows_the_user_not_the_browser(login, advisor):
    client = login(advisor)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "今日" in page or "您好" in page
    client.post(reverse("accounts:set_language"), {"language": "en", "next": "/"})
    assert User.objects.get(pk=advisor.pk).language == "en"
    assert "Customers" in client.get("/").content.decode()
    assert AuditEntry.objects.filter(object_id=str(advisor.pk), action="update").exists()


def test_security_headers_and_csp_without_inline_script(login, advisor):
    response = login(advisor).get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.content.decode()  # every script is a file


def test_store_switcher_only_offers_granted_stores(login, advisor, store_b):
    client = login(advisor)
    client.post(reverse("accounts:switch_store"), {"store": str(store_b.pk), "next": "/"})
    page = client.get("/").content.decode()
    assert store_b.name not in page


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "SECRET_KEY": "x" * 30 + "production-secret-with-enough-entropy-123456",
        "PITSTOP_HTTPS": "1",
        "ALLOWED_HOSTS": "dms.example.cn",
        "DEBUG": "0",
        "PITSTOP_VAR_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests while they run
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(__file__).resolve().parents[3],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_home_shows_each_role_its_own_work(login, store_a, make_staff):
    care = login(make_staff("care_agent", store_a)).get("/").content.decode()
    assert "本周生日" in care and "30 天内保险到期与年检" in care
    technician = login(make_staff("technician", store_a)).get("/").content.decode()
    assert "本周生日" not in technician and 'data-todo="my-jobs"' in technician
    assert 'data-todo="drafts"' not in technician  # the advisor's rows are not the technician's


def test_role_changes_in_the_admin_are_audited_and_shown(client, hq_store, make_staff):
    from django.contrib.auth.models import Permission

    from pitstop.accounts.models import Role

    admin_user = make_staff("admin", hq_store, is_staff=True)
    client.force_login(admin_user)
    role = Role.objects.get(code="cashier")
    kept = list(role.permissions.values_list("pk", flat=True))
    extra = Permission.objects.get(codename="export_customer")
    response = client.post(
        f"/admin/accounts/role/{role.pk}/change/",
        {"code": "cashier", "name": role.name, "permissions": [*kept, extra.pk]},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(object_id=str(role.pk), action="update", actor=admin_user)
    assert any(
        "Export customer and vehicle lists" in str(value) or "导出" in str(value)
        for value in entry.changes["permissions"][1]
    )
    page = client.get(f"/admin/accounts/role/{role.pk}/change/").content.decode()
    assert "变更记录" in page and admin_user.full_name in page


def test_store_access_given_in_the_admin_is_recorded(client, hq_store, store_a, store_b, make_staff):
    from pitstop.accounts.models import Membership, Role

    admin_user = make_staff("admin", hq_store, is_staff=True)
    clerk = make_staff("cashier", store_a)
    client.force_login(admin_user)
    membership = Membership.objects.get(user=clerk)
    form = {
        "username": clerk.username,
        "full_name": clerk.full_name,
        "mobile": "",
        "email": "",
        "language": "zh-hans",
        "is_active": "on",
        "memberships-TOTAL_FORMS": "2",
        "memberships-INITIAL_FORMS": "1",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-id": str(membership.pk),
        "memberships-0-user": str(clerk.pk),
        "memberships-0-store": str(store_a.pk),
        "memberships-0-role": str(Role.objects.get(code="cashier").pk),
        "memberships-1-user": str(clerk.pk),
        "memberships-1-store": str(store_b.pk),
        "memberships-1-role": str(Role.objects.get(code="store_manager").pk),
        "is_superuser": "on",
    }
    response = client.post(f"/admin/accounts/user/{clerk.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    grant = AuditEntry.objects.get(object_id=str(clerk.pk), action="grant", actor=admin_user)
    assert grant.changes == {"SH01": [None, "store_manager"]}
    clerk.refresh_from_db()
    assert not clerk.is_superuser  # an administrator role cannot make superusers
