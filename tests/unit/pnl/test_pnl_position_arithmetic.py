"""Position arithmetic against hand-computed cases (the working is in the comments)."""

from __future__ import annotations

from streams.decimals import q
from streams.pnl.position import Figures, Position


def _position() -> Position:
    return Position("acc", "momo", "BTC-USD")


def test_buys_weight_the_average_cost() -> None:
    p = _position()
    p.apply_fill("BUY", q(10), q(100), q("0.5"))
    p.apply_fill("BUY", q(30), q(104), q("1.5"))
    # (10 x 100 + 30 x 104) / 40 = (1000 + 3120) / 40 = 103
    assert (p.quantity, p.average_cost) == (q(40), q(103))
    assert p.fees == q(2)
    assert p.mark == q(100)  # the first fill price marks a position without market data


def test_unrealized_and_exposure_follow_the_mark() -> None:
    p = _position()
    p.apply_fill("BUY", q(20), q(105), q(0))
    p.mark = q(120)
    # 20 x (120 - 105) = 300; gross = net exposure = 20 x 120 = 2400
    assert (p.unrealized, p.gross_exposure, p.net_exposure) == (q(300), q(2400), q(2400))


def test_a_partial_close_realizes_on_the_closed_quantity_and_keeps_the_average() -> None:
    p = _position()
    p.apply_fill("BUY", q(20), q(105), q(1))
    p.apply_fill("SELL", q(5), q(115), q("0.25"))
    # realized 5 x (115 - 105) = 50; 15 left at 105; fees 1.25
    assert (p.quantity, p.average_cost, p.realized, p.fees) == (q(15), q(105), q(50), q("1.25"))
    p.mark = q(110)
    # unrealized 15 x (110 - 105) = 75; net = 50 + 75 - 1.25 = 123.75
    assert (p.unrealized, p.net) == (q(75), q("123.75"))


def test_flip_long_to_short_realizes_the_long_and_opens_the_rest_at_the_fill_price() -> None:
    p = _position()
    p.apply_fill("BUY", q(15), q(105), q(0))
    p.apply_fill("SELL", q(25), q(100), q(0))
    # closes 15: 15 x (100 - 105) = -75; opens short 10 at 100
    assert (p.quantity, p.average_cost, p.realized) == (q(-10), q(100), q(-75))
    p.mark = q(90)
    # short 10 from 100 marked at 90: -10 x (90 - 100) = +100; gross 900, net exposure -900
    assert (p.unrealized, p.gross_exposure, p.net_exposure) == (q(100), q(900), q(-900))


def test_short_covered_to_flat_resets_the_average() -> None:
    p = _position()
    p.apply_fill("SELL", q(10), q(100), q(0))
    p.apply_fill("BUY", q(10), q(95), q(0))
    # a short realizes (fill - average) x -1 per unit: 10 x (95 - 100) x -1 = 50
    assert (p.quantity, p.average_cost, p.realized, p.unrealized) == (q(0), q(0), q(50), q(0))


def test_short_adds_weight_the_average_too() -> None:
    p = _position()
    p.apply_fill("SELL", q(10), q(100), q(0))
    p.apply_fill("SELL", q(10), q(90), q(0))
    # (10 x 100 + 10 x 90) / 20 = 95
    assert (p.quantity, p.average_cost) == (q(-20), q(95))


def test_average_cost_is_quantized_to_the_platform_scale() -> None:
    p = _position()
    p.apply_fill("BUY", q(1), q(100), q(0))
    p.apply_fill("BUY", q(2), q(101), q(0))
    # (100 + 202) / 3 = 100.666666666(6...) -> 100.666666667 at scale 9
    assert p.average_cost == q("100.666666667")


def test_figures_sum_positions() -> None:
    a, b = _position(), Position("acc", "momo", "ETH-USD")
    a.apply_fill("BUY", q(2), q(100), q(1))
    b.apply_fill("SELL", q(4), q(50), q(1))
    a.mark, b.mark = q(110), q(45)
    figures = Figures.of([a, b])
    # unrealized 2 x 10 + -4 x -5 = 40; fees 2; gross 220 + 180 = 400; net exp 220 - 180 = 40
    assert (figures.unrealized, figures.fees, figures.net) == (q(40), q(2), q(38))
    assert (figures.gross_exposure, figures.net_exposure) == (q(400), q(40))
