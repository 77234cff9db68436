from jiesu_shared.bus.port import Bus, OutgoingRecord, Publisher, Record, Subscription

__all__ = ["Bus", "OutgoingRecord", "Publisher", "Record", "Subscription"]
