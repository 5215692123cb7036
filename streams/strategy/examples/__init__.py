"""Example strategies: YAML files (``sma_cross.yaml``, ``macd_trend.yaml``) and a plug-in."""

from pathlib import Path
from typing import Final

EXAMPLES_DIR: Final = Path(__file__).resolve().parent
SMA_CROSS: Final = EXAMPLES_DIR / "sma_cross.yaml"
MACD_TREND: Final = EXAMPLES_DIR / "macd_trend.yaml"
