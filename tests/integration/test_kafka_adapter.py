"""What the Kafka adapter promises beyond the bus contract: read_committed isolation."""
from __future__ import annotations

import pytest
from aiokafka import AIOKafkaProducer

from jiesu_shared.bus.kafka import KafkaBus
from tests.contract.test_bus_contract import collect, open_subscription


@pytest.mark.parametrize("bus_kind", ["kafka"])
async def test_records_of_an_aborted_transaction_are_never_delivered(kafka_bootstrap: str, bus_kind: str,
                                                                     unique: str) -> None:
    bus = KafkaBus(kafka_bootstrap, client_id="jiesu-tests")
    topic = f"test.txn.{unique}"
    await bus.ensure_topics([topic])
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, transactional_id=f"txn-{unique}")
    await producer.start()
    try:
        async with producer.transaction():
            await producer.send_and_wait(topic, b"committed-1", key=b"c")
        await producer.begin_transaction()
        await producer.send_and_wait(topic, b"aborted", key=b"c")
        await producer.abort_transaction()
        async with producer.transaction():
            await producer.send_and_wait(topic, b"committed-2", key=b"c")
    finally:
        await producer.stop()

    sub = await open_subscription(bus, f"g-{unique}", topic)
    try:
        got = await collect(sub, 2)
        got += await sub.poll(timeout=1.0)
    finally:
        await sub.stop()
    assert [r.value for r in got] == [b"committed-1", b"committed-2"]
