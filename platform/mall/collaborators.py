"""What the mall needs of the app's collaborators beyond the core's: its registries."""

from __future__ import annotations

from typing import Protocol

from jifen.collaborators import Collaborators
from jifen.mall.modes import RedeemModes
from jifen.mall.payments import PaymentProviders
from jifen.mall.till import TillServices


class MallCollaborators(Collaborators, Protocol):
    """The core's collaborators, the redemption modes, the services their tills offer
    and the payment providers."""

    @property
    def redeem_modes(self) -> RedeemModes: ...

    @property
    def payment_providers(self) -> PaymentProviders: ...

    @property
    def till_services(self) -> TillServices: ...
