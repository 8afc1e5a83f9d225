import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from pitstop.core import identifiers as ids

VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def test_check_digit_of_known_vins():
    # The textbook example of the North American/ISO 3779 check digit, and a Chinese VW VIN.
    assert ids.vin_check_digit("1M8GDM9AXKP042788") == "X"
    assert ids.clean_vin("1m8gdm9a xkp042788") == "1M8GDM9AXKP042788"


def test_china_made_vin_with_wrong_check_digit_is_refused_even_if_confirmed():
    good = "LSVAU2184N0000001"
    assert ids.clean_vin(good) == good
    bad = good[:8] + "5" + good[9:]
    with pytest.raises(ValidationError) as error:
        ids.clean_vin(bad, check_digit_confirmed=True)
    assert error.value.code == "vin_check_digit_required"
    assert "4" in error.value.messages[0]  # names the digit it should be


def test_imported_vin_without_check_digit_passes_only_when_confirmed():
    vin = "WDD2050461A000001"  # a Mercedes VIN whose 9th character does not check
    assert ids.vin_check_digit(vin) != vin[8]
    with pytest.raises(ValidationError) as error:
        ids.clean_vin(vin)
    assert error.value.code == "vin_check_digit"
    assert ids.clean_vin(vin, check_digit_confirmed=True) == vin


@pytest.mark.parametrize(
    "vin,code",
    [
        ("LSVAU2184N000000", "vin_length"),
        ("LSVAU2184N00000I1", "vin_chars"),
        ("LSVAU2184N00000O1", "vin_chars"),
        ("LSVAU2184N00000Q1", "vin_chars"),
    ],
)
def test_malformed_vins(vin, code):
    with pytest.raises(ValidationError) as error:
        ids.clean_vin(vin)
    assert error.value.code == code


@given(st.text(alphabet=VIN_ALPHABET, min_size=16, max_size=16))
def test_any_vin_with_its_check_digit_passes_and_any_other_digit_fails(body):
    vin = "L" + body[1:8] + "0" + body[8:]
    vin = vin[:8] + ids.vin_check_digit(vin) + vin[9:]
    assert ids.clean_vin(vin) == vin
    wrong = next(d for d in "0123456789X" if d != vin[8])
    with pytest.raises(ValidationError):
        ids.clean_vin(vin[:8] + wrong + vin[9:])


def test_model_year_from_vin():
    assert ids.vin_model_year("LSVAU2184N0000001", this_year=2026) == 2022
    assert ids.vin_model_year("LSVAU21848A000001", this_year=2026) == 2008  # digits: the 2001–2009 cycle


@pytest.mark.parametrize(
    "plate,kind",
    [
        ("京A12345", "ordinary"),
        ("京a·1234b", "ordinary"),
        ("粤BD12345", "new_energy_small"),
        ("沪AFA1234", "new_energy_small"),
        ("沪A12345D", "new_energy_large"),
        ("京A1234学", "special"),
        ("粤Z1234港", "special"),
        ("使123456", "embassy"),
    ],
)
def test_valid_plates(plate, kind):
    assert ids.plate_kind(ids.clean_plate(plate)) == kind


@pytest.mark.parametrize(
    "plate", ["京A1234", "京I12345", "A12345", "京A123456", "XA12345", "京AO1234", "沪AF1A234"]
)
def test_invalid_plates(plate):
    with pytest.raises(ValidationError):
        ids.clean_plate(plate)


def test_mobiles():
    assert ids.clean_mobile("+86 138-0013-8000") == "13800138000"
    for bad in ["12345678901", "1380013800", "010-62345678", "abc"]:
        with pytest.raises(ValidationError):
            ids.clean_mobile(bad)


def test_resident_id_and_credit_code():
    assert ids.clean_resident_id("11010519491231002x") == "11010519491231002X"
    with pytest.raises(ValidationError):
        ids.clean_resident_id("110105194912310021")
    assert ids.clean_credit_code("91110000600037341L") == "91110000600037341L"
    with pytest.raises(ValidationError):
        ids.clean_credit_code("91110000600037341A")
