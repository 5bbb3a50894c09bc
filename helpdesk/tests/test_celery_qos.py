"""The worker's prefetch slot comes back even when Redis fails an ack (a frozen Redis)."""

from unittest import mock

import pytest
from kombu.transport import redis as kombu_redis
from kombu.transport import virtual
from redis.exceptions import TimeoutError as RedisTimeoutError

from helpdesk.celery import RedisQoS


class FailingPipeline:
    def execute(self):
        raise RedisTimeoutError("Timeout reading from socket")


@pytest.mark.parametrize("settle", ["ack", "reject"])
def test_an_ack_that_meets_a_frozen_redis_still_frees_the_workers_only_slot(settle):
    assert kombu_redis.Channel.QoS is RedisQoS  # what every Redis channel of the worker uses
    qos = RedisQoS(mock.Mock(), prefetch_count=1)
    qos.restore_at_shutdown = False  # a mock channel has nothing to restore at exit
    virtual.QoS.append(qos, mock.Mock(), "tag-1")  # delivered (the Redis half is not under test)
    assert not qos.can_consume()  # one task in hand: the worker takes no other
    failing = mock.patch.object(qos, "_remove_from_indices", return_value=FailingPipeline())
    with failing, pytest.raises(RedisTimeoutError):
        getattr(qos, settle)("tag-1")
    assert qos.can_consume()  # the next task can be taken once Redis answers again
