"""The kernel's message bus: one path for commands and consumed events in every service."""
from jiesu_shared.messagebus.answer import Answer
from jiesu_shared.messagebus.bus import MessageBus
from jiesu_shared.messagebus.retry import ATTEMPTS, Busy, retrying
from jiesu_shared.messagebus.tables import BatchHandler, CommandHandler, EventHandler
from jiesu_shared.store.idempotency import IdempotencyKey, IdempotencyKeyInFlight, IdempotencyKeyReused

__all__ = ["ATTEMPTS", "Answer", "BatchHandler", "Busy", "CommandHandler", "EventHandler", "IdempotencyKey",
           "IdempotencyKeyInFlight", "IdempotencyKeyReused", "MessageBus", "retrying"]
