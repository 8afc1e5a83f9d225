"""Document numbers without gaps or duplicates, even when two clerks save at once."""

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import DocumentSequence


@transaction.atomic
def next_number(key: str) -> int:
    # The UPDATE takes the row lock, so concurrent callers queue here and each reads its own
    # number; the first number of a key creates the row.
    if not DocumentSequence.objects.filter(key=key).update(last_number=F("last_number") + 1):
        try:
            with transaction.atomic():
                DocumentSequence.objects.create(key=key, last_number=1)
                return 1
        except IntegrityError:  # created by a concurrent caller meanwhile
            DocumentSequence.objects.filter(key=key).update(last_number=F("last_number") + 1)
    return DocumentSequence.objects.get(key=key).last_number


def next_code(prefix: str, scope: str, width: int = 6) -> str:
    """e.g. next_code("KH", "BJ01") -> "KHBJ01000001"."""
    return f"{prefix}{scope}{next_number(f'{prefix}:{scope}'):0{width}d}"
