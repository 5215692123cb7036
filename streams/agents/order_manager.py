"""Order manager agent (Faust host): ``risk.approved`` + ``order.event`` -> ``order.command``.

Logic: :class:`streams.orders.manager.OrderManager`; lifecycle, reconciliation, replay mode
and the venue port: docs/orders.md.

================================================  =============  ===============================
variable                                          default        meaning
================================================  =============  ===============================
``TAPEWIRE_ORDERS_DEFAULT_VENUE``                 ``SIM``        venue of every instrument ...
``TAPEWIRE_ORDERS_VENUES``                        ``{}``         ... unless mapped here (JSON)
``TAPEWIRE_ORDERS_SIMULATED_VENUES``              ``SIM,PAPER``  venues replay mode may reach
``TAPEWIRE_ORDERS_REPLAY_MODE``                   ``false``      suppress commands to real venues
``TAPEWIRE_ORDERS_ACK_TIMEOUT_SECONDS``           ``5``          query a venue after this
``TAPEWIRE_ORDERS_RECONCILE_TIMEOUT_SECONDS``     ``10``         refuse if still unresolved
================================================  =============  ===============================
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from streams.marketdata.config import load_config
from streams.orders.manager import OrderManager, OrderManagerConfig
from streams.runtime.agent_spec import AgentSpec
from streams.runtime.processor import Output, Record
from streams.settings import Settings

logger = logging.getLogger(__name__)


class OrdersAgentConfig(BaseSettings):
    """Settings of the order manager agent (``TAPEWIRE_ORDERS_*``)."""

    model_config = SettingsConfigDict(env_prefix="TAPEWIRE_ORDERS_", frozen=True, extra="ignore")

    default_venue: str = Field(default="SIM", min_length=1)
    venues: dict[str, str] = Field(default_factory=dict)
    simulated_venues: Annotated[tuple[str, ...], NoDecode] = ("SIM", "PAPER")
    replay_mode: bool = False
    ack_timeout_seconds: float = Field(default=5.0, gt=0)
    reconcile_timeout_seconds: float = Field(default=10.0, gt=0)

    @field_validator("simulated_venues", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value


def manager_config(config: OrdersAgentConfig, *, run_id: str | None = None) -> OrderManagerConfig:
    """The processor's configuration from the agent settings.

    A replay run (``TAPEWIRE_RUN_ID`` set, see docs/replay.md) is always in replay mode, so a
    rewound order manager can never address a real venue, whatever ``TAPEWIRE_ORDERS_REPLAY_MODE``
    says.
    """
    return OrderManagerConfig(
        default_venue=config.default_venue,
        venues=dict(config.venues),
        simulated_venues=frozenset(config.simulated_venues),
        replay_mode=config.replay_mode or run_id is not None,
        ack_timeout_seconds=config.ack_timeout_seconds,
        reconcile_timeout_seconds=config.reconcile_timeout_seconds,
    )


class LoggedOrderManager(OrderManager):
    """The order manager as the agent runs it: logs when it starts or stops refusing orders.

    The processor stays pure; this thin subclass only reads :meth:`OrderManager.refusal`
    after each call and logs a change (an ERROR with the full reconciliation message).
    """

    def __init__(self, config: OrderManagerConfig | None = None) -> None:
        super().__init__(config)
        self._reported: str | None = None

    def process(self, record: Record) -> list[Output]:
        outputs = super().process(record)
        self._report()
        return outputs

    def on_timer(self, now: datetime) -> list[Output]:
        outputs = super().on_timer(now)
        self._report()
        return outputs

    def _report(self) -> None:
        error = self.refusal()
        text = None if error is None else str(error)
        if text == self._reported:
            return
        if text is not None:
            logger.error(text)
        else:
            logger.info("order manager reconciled with the venue: trading again")
        self._reported = text


def build(settings: Settings) -> OrderManager:
    """The order manager configured from ``TAPEWIRE_ORDERS_*`` (replay mode in a replay run)."""
    return LoggedOrderManager(
        manager_config(load_config(OrdersAgentConfig), run_id=settings.run_id)
    )


AGENT = AgentSpec(
    name=OrderManager.name,
    host="faust",
    build=build,
    description="order lifecycle from approvals: kill switch, in-flight checks, reconciliation",
    snapshot_topic="order.snapshot",
)
