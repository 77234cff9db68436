"""Dispatch's composition root."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from fastapi import FastAPI

from jiesu_shared.messagebus import MessageBus
from jiesu_shared.service import ServiceKernel
from jiesu_shared.store import Database

from jiesu_dispatch.adapters import board_projection, meeting_list
from jiesu_dispatch.adapters.tables import RETIRED_INDEXES
from jiesu_dispatch.config import DispatchSettings
from jiesu_dispatch.coordination import command_handlers
from jiesu_dispatch.entrypoints import admin, board, cases, meetings
from jiesu_dispatch.handlers import Clock, Dispatcher, event_handlers, system_clock
from jiesu_dispatch.metrics import SlaCollector
from jiesu_dispatch.timer_worker import TimerWorker

log = logging.getLogger(__name__)


@dataclass
class DispatchService:
    settings: DispatchSettings
    database: Database
    dispatcher: Dispatcher
    bus: MessageBus  # every command and consumed fact goes through it
    timers: TimerWorker


def build_app(settings: DispatchSettings | None = None, clock: Clock = system_clock) -> FastAPI:
    settings = settings or DispatchSettings()
    kernel = ServiceKernel.build("dispatch", settings)
    watermarks = settings.watermarks()
    kernel.database.create_schema()  # before the first request: the board is filled from the ledger if new
    kernel.database.settle_indexes(retired=RETIRED_INDEXES)  # an older dispatch's database: the indexes since
    board_projection.rebuild_if_needed(kernel.database)
    meeting_list.rebuild_if_needed(kernel.database)
    sla = settings.sla_policy()
    # what the version stamped on each dispatch and offer stands for: a researcher matches it here
    log.info("SLA policy %s: %s", sla.version, json.dumps(sla.described(), ensure_ascii=False))
    dispatcher = Dispatcher(store=kernel.store, routing=settings.routing_table(), sla=sla,
                            max_returns=settings.max_returns, clock=clock)
    bus = kernel.message_bus(commands=command_handlers(dispatcher), events=event_handlers(dispatcher))
    service = DispatchService(settings=settings, database=kernel.database, dispatcher=dispatcher, bus=bus,
                              timers=TimerWorker(database=kernel.database, dispatcher=dispatcher, bus=bus,
                                                 recheck_seconds=settings.timer_recheck_seconds, watermarks=watermarks))
    kernel.consume("cases", bus, on_progress=watermarks.observe)
    kernel.metrics.add_collector(SlaCollector(kernel.database), "sla")
    return kernel.app(title="Jiesu dispatch", routers=[cases.router, meetings.router, admin.router, board.router],
                      workers=[service.timers.run], state=service)
