from pitstop.core.numbering import next_code, next_number


def test_numbers_follow_each_other_per_key(db):
    assert [next_number("x"), next_number("x"), next_number("y")] == [1, 2, 1]
    assert next_code("KH", "BJ01") == "KHBJ01000001"
