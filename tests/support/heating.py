"""A heating case as intake would announce it: the fact and its envelope, for tests that drive dispatch directly."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from jiesu_shared.catalogue.common import Place
from jiesu_shared.catalogue.intake import CaseReceived
from jiesu_shared.events import Envelope, utc_now


def heating_case() -> tuple[Envelope, CaseReceived]:
    """A new case (its own id) at Jingshan whose subject the heating rule names."""
    case_id = str(uuid.uuid4())
    fact = CaseReceived(case_id=case_id, channel="hotline", text="供暖不热 no heating", category="heating",
                        place=Place(district="Dongcheng", street="Jingshan"), received_at=datetime.now(UTC))
    envelope = Envelope(id=str(uuid.uuid4()), source="/jiesu/intake", type="case.received.v1", subject=case_id,
                        time=utc_now(), sequence=1, correlationid=str(uuid.uuid4()), data=fact.model_dump(mode="json"))
    return envelope, fact
