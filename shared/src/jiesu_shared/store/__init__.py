from jiesu_shared.store.database import Database
from jiesu_shared.store.event_store import Cause, ConcurrencyError, EventStore
from jiesu_shared.store.tables import OutboxEntry, ProcessedEvent, StoredEvent

__all__ = ["Cause", "Database", "ConcurrencyError", "EventStore", "OutboxEntry", "ProcessedEvent", "StoredEvent"]
