from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pitstop.core.money import percent_of, to_money, to_quantity


def test_half_up_to_the_cent():
    assert to_money("2.345") == Decimal("2.35")
    assert to_money("2.344") == Decimal("2.34")
    assert to_money("-2.345") == Decimal("-2.35")
    assert to_quantity("1.0005") == Decimal("1.001")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        to_money(0.1)


def test_float_meeting_decimal_raises_in_tests():
    # The suite traps decimal.FloatOperation (conftest): mixing is an error, not a rounding.
    import decimal

    with pytest.raises(decimal.FloatOperation):
        Decimal("1.10") < 1.1  # noqa: B015


@given(
    st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=4),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2),
)
def test_percent_is_rounded_and_within_half_a_cent(amount, percent):
    result = percent_of(amount, percent)
    assert result == result.quantize(Decimal("0.01"))
    assert abs(result - amount * percent / 100) <= Decimal("0.005")


def test_quantities_print_as_people_write_them():
    from pitstop.core.money import plain

    assert [plain(Decimal(v)) for v in ("10.000", "2.500", "0.001", "0")] == ["10", "2.5", "0.001", "0"]


def test_templates_print_quantities_as_people_write_them():
    from django.template import Context, Template

    rendered = Template("{{ a|qty }} {{ b|qty }} {{ c|qty }} {{ d|qty }}").render(
        Context({"a": Decimal("10.000"), "b": Decimal("2.500"), "c": Decimal("-3"), "d": None})
    )
    assert rendered == "10 2.5 -3 "
