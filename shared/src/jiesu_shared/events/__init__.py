from jiesu_shared.events.envelope import Envelope, new_event_id, utc_now
from jiesu_shared.events.codec import DecodeError, decode_record, encode_envelope

__all__ = ["Envelope", "new_event_id", "utc_now", "DecodeError", "decode_record", "encode_envelope"]
