"""Document numbers without gaps or duplicates, even when two clerks save at once."""

from django.db import IntegrityError, transaction

from .models import DocumentSequence


@transaction.atomic
def next_number(key: str) -> int:
    try:
        with transaction.atomic():
            DocumentSequence.objects.get_or_create(key=key)
    except IntegrityError:
        pass  # created by a concurrent caller; the row exists now
    sequence = DocumentSequence.objects.select_for_update().get(key=key)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def next_code(prefix: str, scope: str, width: int = 6) -> str:
    """e.g. next_code("KH", "BJ01") -> "KHBJ01000001"."""
    return f"{prefix}{scope}{next_number(f'{prefix}:{scope}'):0{width}d}"
