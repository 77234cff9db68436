from jiesu_shared.events.envelope import Envelope, new_event_id, utc_now
from jiesu_shared.events.codec import (DecodeError, decode_event, decode_record, decode_text_event, encode_envelope,
                                       plain_structured_event)
from jiesu_shared.events.view import EventView

__all__ = ["Envelope", "EventView", "new_event_id", "utc_now", "DecodeError", "decode_event", "decode_record",
           "decode_text_event", "encode_envelope", "plain_structured_event"]
