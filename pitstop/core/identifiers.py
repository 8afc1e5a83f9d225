"""Chinese identifiers: VIN (GB 16735), number plates (GA 36), mobiles, resident ID numbers
(GB 11643) and unified social credit codes (GB 32100). Each check raises a ValidationError with
a message in the user's language and the code a caller can branch on."""

import datetime
import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from .text import normalise_code

VIN_CHARS = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_VIN_VALUES = dict(
    zip(
        "ABCDEFGHJKLMNPRSTUVWXYZ",
        [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9],
        strict=True,
    )
)
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
# Position 10 is the model year in a 30-year cycle; 2010 is A.
_VIN_YEAR_LETTERS = "ABCDEFGHJKLMNPRSTVWXY123456789"


def vin_check_digit(vin: str) -> str:
    total = sum(
        (int(ch) if ch.isdigit() else _VIN_VALUES[ch]) * weight
        for ch, weight in zip(vin, _VIN_WEIGHTS, strict=True)
    )
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def vin_model_year(vin: str, *, this_year: int | None = None) -> int | None:
    """The model year from position 10. The code repeats every 30 years (A is 1980 and 2010),
    so the latest year not after next year is taken."""
    index = _VIN_YEAR_LETTERS.find(vin[9]) if len(vin) == 17 else -1
    if index < 0:
        return None
    year = 2010 + index
    limit = (this_year or datetime.date.today().year) + 1
    while year > limit:
        year -= 30
    return year


def is_china_made(vin: str) -> bool:
    return vin.startswith("L")


def clean_vin(value: str, *, check_digit_confirmed: bool = False) -> str:
    """The VIN normalised, or a ValidationError.

    China-made VINs (starting with L) always carry a check digit. An imported VIN whose ninth
    character does not check is refused with code "vin_check_digit" until the person confirms
    it (some markets do not use the check digit)."""
    vin = normalise_code(value)
    if len(vin) != 17:
        raise ValidationError(
            _("A VIN has 17 characters; this one has %(count)d."),
            code="vin_length",
            params={"count": len(vin)},
        )
    if not VIN_CHARS.match(vin):
        raise ValidationError(
            _("A VIN uses only digits and the letters A–Z without I, O and Q."), code="vin_chars"
        )
    expected = vin_check_digit(vin)
    if vin[8] != expected:
        if is_china_made(vin):
            raise ValidationError(
                _(
                    "The VIN's check digit (9th character) should be %(expected)s, not %(found)s. "
                    "Please check the VIN on the vehicle licence."
                ),
                code="vin_check_digit_required",
                params={"expected": expected, "found": vin[8]},
            )
        if not check_digit_confirmed:
            raise ValidationError(
                _(
                    "The VIN's check digit (9th character) should be %(expected)s, not %(found)s. "
                    "If this is an imported vehicle whose VIN has no check digit, tick the "
                    "confirmation and save again."
                ),
                code="vin_check_digit",
                params={"expected": expected, "found": vin[8]},
            )
    return vin


PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "A-HJ-NP-Z"  # no I, no O
_ALNUM = "A-HJ-NP-Z0-9"
PLATE_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("ordinary", re.compile(rf"^[{PROVINCES}][{_LETTER}][{_ALNUM}]{{5}}$")),
    ("new_energy_small", re.compile(rf"^[{PROVINCES}][{_LETTER}][DF][{_ALNUM}][0-9]{{4}}$")),
    ("new_energy_large", re.compile(rf"^[{PROVINCES}][{_LETTER}][0-9]{{5}}[DF]$")),
    ("special", re.compile(rf"^[{PROVINCES}][{_LETTER}][{_ALNUM}]{{4}}[学警挂港澳领试超]$")),
    ("embassy", re.compile(r"^使[0-9]{6}$")),
    ("armed_police", re.compile(r"^WJ[0-9]{2}[0-9A-Z]{5}$")),
]


def plate_kind(plate: str) -> str | None:
    for kind, pattern in PLATE_PATTERNS:
        if pattern.match(plate):
            return kind
    return None


def clean_plate(value: str) -> str:
    plate = normalise_code(value)
    if plate_kind(plate) is None:
        raise ValidationError(
            _(
                "“%(plate)s” is not a valid plate. Examples: 京A12345, new-energy 粤BD12345 or 沪A12345D, "
                "or ending in 学/警/挂/港/澳/领."
            ),
            code="plate",
            params={"plate": value},
        )
    return plate


def clean_mobile(value: str) -> str:
    """A mainland mobile number as 11 digits (+86 and spaces removed)."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or number.country_code != 86
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number)
        not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    ):
        raise ValidationError(
            _("“%(value)s” is not a mainland mobile number (11 digits starting with 1)."),
            code="mobile",
            params={"value": value},
        )
    return str(number.national_number)


def clean_landline(value: str) -> str:
    """A fixed-line number in national form, e.g. 010-62345678, extension allowed."""
    text = (value or "").strip()
    try:
        number = phonenumbers.parse(text, "CN")
        valid = phonenumbers.is_valid_number(number)
    except phonenumbers.NumberParseException:
        valid = False
    if not valid:
        raise ValidationError(
            _("“%(value)s” is not a valid phone number, e.g. 010-62345678."),
            code="phone",
            params={"value": value},
        )
    return text


def clean_resident_id(value: str) -> str:
    try:
        return ric.validate(normalise_code(value))
    except StdnumError:
        raise ValidationError(
            _("“%(value)s” is not a valid resident ID number (18 characters, check digit at the end)."),
            code="resident_id",
            params={"value": value},
        ) from None


def clean_credit_code(value: str) -> str:
    try:
        return uscc.validate(normalise_code(value))
    except StdnumError:
        raise ValidationError(
            _("“%(value)s” is not a valid unified social credit code (18 characters)."),
            code="credit_code",
            params={"value": value},
        ) from None


# Field validators; the early migrations of customers refer to them by name.
def validate_mobile(value: str) -> None:
    clean_mobile(value)


def validate_landline(value: str) -> None:
    clean_landline(value)


def validate_plate(value: str) -> None:
    clean_plate(value)
