"""The app's collaborators in one object, usable with or without Flask.

Requests reach it as `app.extensions["jifen.services"]`; CLI commands, rq jobs,
benchmarks and tests build or receive the same object, so a service runs the same way
from each of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pluggy

from jifen import clock as clocks
from jifen.config import Settings
from jifen.db import Database
from jifen.jobs import JobRunner
from jifen.keyring import Keyring
from jifen.mall.modes import RedeemModes
from jifen.mall.payments import PaymentProviders
from jifen.mall.till import TillServices
from jifen.notify.notifiers import Notifiers
from jifen.outbox.events import reactions, write_at_commit
from jifen.outbox.relay import Relay
from jifen.plugins import build_plugin_manager
from jifen.rules.registry import RuleTypes
from jifen.storage import Storage, storage_from_url
from jifen.subscriptions import IN_TRANSACTION, subscribers
from jifen.tenants.ownership import NetworkProbe, Probe


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: clocks.Clock
    keyring: Keyring
    plugins: pluggy.PluginManager
    storage: Storage
    jobs: JobRunner = field(init=False)

    def __post_init__(self) -> None:
        self.jobs = JobRunner(self)
        self.db.jobs = self.jobs
        self.db.reactions = reactions(IN_TRANSACTION, self)
        for engine in self.db.session_engines:
            write_at_commit(engine)

    @cached_property
    def rule_types(self) -> RuleTypes:
        """The installed earn rule types (built on first use, after plugins load)."""
        return RuleTypes(self.plugins)

    @cached_property
    def redeem_modes(self) -> RedeemModes:
        """The installed redemption modes (built on first use, after plugins load)."""
        return RedeemModes(self.plugins)

    @cached_property
    def till_services(self) -> TillServices:
        """The services the installed plugins offer every redeem mode's till."""
        return TillServices(self.plugins)

    @cached_property
    def payment_providers(self) -> PaymentProviders:
        """The payment providers the installed plugins offer under these settings."""
        return PaymentProviders(self.plugins, self.settings)

    @cached_property
    def notifiers(self) -> Notifiers:
        """The notifiers the installed plugins offer under these settings."""
        return Notifiers(self.plugins, self.settings)

    @cached_property
    def ownership_probe(self) -> Probe:
        """What proving a custom domain asks of the network (tests put a fake here)."""
        return NetworkProbe()

    @cached_property
    def relay(self) -> Relay:
        """The relay feeding the after-commit subscribers."""
        return Relay(self, subscribers(self.plugins))

    def close(self) -> None:
        """Stop the worker thread (finishing what runs) and close the connections."""
        self.jobs.close()
        self.db.dispose()

    @classmethod
    def build(cls, settings: Settings) -> Services:
        if settings.clock and not settings.testing:
            raise ValueError("JIFEN_CLOCK is for test processes only (set JIFEN_TESTING=1)")
        return cls(
            settings=settings,
            db=Database(settings.database_url, operator_url=settings.operator_database_url),
            clock=clocks.from_setting(settings.clock),
            keyring=Keyring.from_settings(settings),
            plugins=build_plugin_manager(),
            storage=storage_from_url(settings.storage_url),
        )
