"""kinds_of remembers no type it is shown: a table of every class ever seen grew without bound."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from mapper.types import base


def test_kinds_of_keeps_no_type_it_sees_and_still_codes_each() -> None:
    before = len(base._KIND)
    classes = [type(f"C{i}", (), {}) for i in range(50)]
    values = [c() for c in classes] + [1, 1.5, "s", True, None, [1], {"a": 1}, Decimal(1), (1,)]
    codes = base.kinds_of(values)
    assert codes.tolist() == [base.OTHER] * 50 + [base.INT, base.FLOAT, base.STR, base.BOOL] + [base.OTHER] * 5
    assert len(base._KIND) == before  # (grew by each class before: a memory leak with many classes)

    class MyStr(str):  # by identity, as the numpy form: a subclass is OTHER
        pass

    assert base.kinds_of([MyStr("x"), "x"]).tolist() == [base.OTHER, base.STR]
    assert base.kinds_of([MyStr("x")] * 300 + ["x"]).tolist() == [base.OTHER] * 300 + [base.STR]
    assert base.kinds_of([]).dtype == np.int8 and len(base.kinds_of([])) == 0
