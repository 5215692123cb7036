"""The one numeric convention for prices, quantities and money.

Chosen once, used everywhere: Avro ``bytes`` with logical type ``decimal``, precision 38,
scale 9 (``DECIMAL_SCHEMA``). In Python these are :class:`decimal.Decimal`, never floats.
Values must be quantized to the scale before encoding (:func:`q`); the codec refuses a value
with more fractional digits than the scale instead of rounding it silently.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from typing import Any, Final

SCALE: Final = 9
PRECISION: Final = 38
QUANTUM: Final = Decimal(1).scaleb(-SCALE)
DECIMAL_SCHEMA: Final[dict[str, Any]] = {
    "type": "bytes",
    "logicalType": "decimal",
    "precision": PRECISION,
    "scale": SCALE,
}
ZERO: Final = Decimal(0)
_CONTEXT: Final = Context(prec=PRECISION + 4, rounding=ROUND_HALF_EVEN)


def q(value: Decimal | int | str) -> Decimal:
    """Quantize to the platform scale (banker's rounding). Floats are refused."""
    if isinstance(value, float):
        raise TypeError("binary floats are not allowed for prices, quantities or money")
    with localcontext(_CONTEXT):
        return Decimal(value).quantize(QUANTUM)


def round_to_increment(value: Decimal, increment: Decimal) -> Decimal:
    """Round ``value`` to the nearest multiple of ``increment`` (tick or lot size)."""
    if increment <= 0:
        raise ValueError(f"increment must be positive, got {increment}")
    with localcontext(_CONTEXT):
        steps = (value / increment).to_integral_value(rounding=ROUND_HALF_EVEN)
        return q(steps * increment)
