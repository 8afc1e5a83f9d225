import factory

from pitstop.accounts.models import Membership, Role, Store, User


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.Sequence(lambda n: f"门店{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"员工{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def staff(role_code: str, store: Store, **user_fields) -> User:
    """A user holding `role_code` in `store` (roles come from migrate's defaults)."""
    user = UserFactory(**user_fields)
    Membership.objects.create(user=user, store=store, role=Role.objects.get(code=role_code))
    return user
