"""Writes for stores, staff and their access. Each is atomic and leaves an audit entry."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pitstop.core.audit import audit_record, snapshot
from pitstop.core.exceptions import ApplicationError

from .models import Membership, Role, Store, User

USER_AUDIT_FIELDS = [
    "username",
    "full_name",
    "mobile",
    "language",
    "is_active",
    "is_staff",
    "is_superuser",
    "email",
    "user_permissions",
]


def store_roles(user: User) -> dict[str, str]:
    """{store code: role code} held by the user: what a grant or revoke changes."""
    return dict(user.memberships.values_list("store__code", "role__code"))


@transaction.atomic
def store_create(
    *,
    code: str,
    name: str,
    is_headquarters: bool = False,
    address: str = "",
    phone: str = "",
    actor: User | None = None,
) -> Store:
    code = code.strip().upper()
    if not code or not code.isalnum() or len(code) > 16:
        raise ApplicationError(_("A store code is 1–16 letters or digits."), field="code")
    if Store.objects.filter(code=code).exists():
        raise ApplicationError(_("A store with code %(code)s already exists.") % {"code": code}, field="code")
    store = Store.objects.create(
        code=code, name=name.strip(), is_headquarters=is_headquarters, address=address, phone=phone
    )
    audit_record(
        actor=actor,
        instance=store,
        action="create",
        store=store,
        after=snapshot(store, ["code", "name", "is_headquarters"]),
    )
    return store


def _role(code: str) -> Role:
    try:
        return Role.objects.get(code=code)
    except Role.DoesNotExist:
        raise ApplicationError(_("Unknown role %(code)s.") % {"code": code}, field="role") from None


@transaction.atomic
def staff_create(
    *,
    username: str,
    password: str,
    store: Store,
    role_code: str,
    full_name: str = "",
    mobile: str = "",
    language: str = "zh-hans",
    actor: User | None = None,
) -> User:
    if User.objects.filter(username=username).exists():
        raise ApplicationError(_("The user name %(name)s is taken.") % {"name": username}, field="username")
    role = _role(role_code)
    user = User(
        username=username,
        full_name=full_name,
        mobile=mobile,
        language=language,
        is_staff=role.code == "admin",
    )
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages), field="password") from None
    user.set_password(password)
    user.save()
    audit_record(
        actor=actor, instance=user, action="create", store=store, after=snapshot(user, USER_AUDIT_FIELDS)
    )
    store_grant(user=user, store=store, role_code=role.code, actor=actor)
    return user


@transaction.atomic
def store_grant(*, user: User, store: Store, role_code: str, actor: User | None = None) -> Membership:
    """Give `user` the role in `store`, replacing the role held there before."""
    role = _role(role_code)
    membership = Membership.objects.select_for_update().filter(user=user, store=store).first()
    before = {"store": store.code, "role": membership.role.code} if membership else {}
    if membership:
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
    else:
        membership = Membership.objects.create(user=user, store=store, role=role)
    if role.code == "admin" and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    audit_record(
        actor=actor,
        instance=user,
        action="grant",
        store=store,
        before=before,
        after={"store": store.code, "role": role.code},
    )
    return membership


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    if language not in User.Language.values:
        raise ApplicationError(_("Unknown language."), field="language")
    before = snapshot(user, ["language"])
    user.language = language
    user.save(update_fields=["language"])
    audit_record(
        actor=user, instance=user, action="update", before=before, after=snapshot(user, ["language"])
    )
    return user
