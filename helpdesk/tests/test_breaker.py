"""The circuit breaker: skip Redis after a failure, probe again, one log line per change of state."""

import contextlib
import logging
import sys

from kombu.exceptions import OperationalError

from helpdesk.breaker import Breaker, BrokerOutageFilter, breaker


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_open_skip_probe_close_with_one_line_per_change_and_a_summary_a_minute(caplog):
    clock = Clock()
    b = Breaker("cache", open_seconds=5, clock=clock)
    caplog.set_level(logging.WARNING, logger="helpdesk.breaker")
    assert b.allow()
    b.failure(TimeoutError("Timeout reading from socket"))
    assert [r.getMessage() for r in caplog.records] == [
        "Redis unavailable (cache): TimeoutError: Timeout reading from socket; "
        "skipping it for 5 s at a time and carrying on without it"
    ]
    assert not b.allow() and not b.allow()  # skipped without trying
    clock.now += 5
    assert b.allow()  # one probe ...
    assert not b.allow()  # ... at a time
    for _ in range(11):  # skipped calls and failed probes, for 55 s
        b.failure(TimeoutError("again"))
        clock.now += 5
        b.allow()
        b.allow()
    assert len(caplog.records) == 1
    clock.now += 10
    assert not b.allow()  # a skipped call after a minute writes nothing: it does not know
    assert len(caplog.records) == 1
    b.failure(TimeoutError("again"))  # a probe that fails after a minute does
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and messages[1].startswith("Redis still unavailable (cache) after 70 s:")
    assert b.allow() is False or b.probing
    b.probing, b.retry_at = False, 0
    assert b.allow()
    b.success()
    assert caplog.records[-1].getMessage().startswith("Redis back (cache) after 70 s")
    assert len(caplog.records) == 3
    assert b.allow() and not b.is_down
    b.success()  # closed: nothing more to say
    assert len(caplog.records) == 3


def test_a_non_redis_error_lets_the_next_call_probe():
    b = Breaker("cache", open_seconds=0)
    b.failure(OSError("down"))

    def boom():
        raise ValueError("a bug")

    with contextlib.suppress(ValueError):
        b.call(boom, fallback=lambda: None, errors=(OSError,))
    assert b.allow()


def test_beats_and_workers_reconnect_errors_become_the_brokers_lines(caplog):
    caplog.set_level(logging.INFO)
    noise = BrokerOutageFilter()
    beat = logging.getLogger("celery.beat")
    consumer = logging.getLogger("celery.worker.consumer.consumer")
    records = []
    for n in range(30):
        try:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")
        except OperationalError:
            record = beat.makeRecord(
                beat.name, logging.ERROR, __file__, 1, "Message Error: %s", (n,), exc_info=sys.exc_info()
            )
        records.append(noise.filter(record))
    retry = consumer.makeRecord(
        consumer.name, logging.ERROR, __file__, 1, "consumer: Cannot connect to redis://127.0.0.1:6399/0: x", (), None
    )
    records.append(noise.filter(retry))
    assert not any(records)  # none of them is written as it was
    try:
        try:
            raise ConnectionError("Connection closed by server.")
        except ConnectionError:
            raise AttributeError("'NoneType' object has no attribute 'connection_errors'")  # noqa: B904
    except AttributeError:
        gossip = consumer.makeRecord(
            consumer.name, logging.ERROR, __file__, 1, "Error on restarting Gossip: %r", ("x",), sys.exc_info()
        )
    assert not noise.filter(gossip)  # a lost connection underneath
    unrelated = beat.makeRecord(beat.name, logging.ERROR, __file__, 1, "Task raised ValueError", (), None)
    assert noise.filter(unrelated)
    assert breaker("broker").is_down
    lines = [r.getMessage() for r in caplog.records if r.name == "helpdesk.breaker"]
    assert len(lines) == 1 and lines[0].startswith("Redis unavailable (broker): OperationalError: Error 111")
    back = consumer.makeRecord(
        consumer.name, logging.INFO, __file__, 1, "Connected to redis://127.0.0.1:6399/0", (), None
    )
    assert noise.filter(back)
    assert not breaker("broker").is_down
    assert [r.getMessage() for r in caplog.records if r.name == "helpdesk.breaker"][-1].startswith(
        "Redis back (broker)"
    )


def test_what_waits_for_redis_to_come_back_runs_once_per_outage_and_never_raises():
    b = Breaker("broker", open_seconds=5, clock=Clock())
    calls = []
    b.on_back += [lambda: calls.append("sweep"), lambda: 1 / 0]
    b.success()  # never away: nothing to catch up
    b.failure("Connection refused")
    b.failure("Connection refused")
    b.success()  # back: the callbacks run, the failing one is swallowed
    b.success()
    assert calls == ["sweep"]


def test_a_worker_that_connects_publishes_one_sweep_and_a_broker_still_away_is_no_error(monkeypatch, settings):
    from helpdesk import celery

    settings.DEADLINE_SWEEP_SECONDS = 7  # the sweep expires after one interval, as beat's do
    sent = []
    monkeypatch.setattr(celery.app, "send_task", lambda name, **options: sent.append((name, options)))
    assert celery.clock_catch_up(why="test")
    assert sent == [("dispatch.tasks.deadlines_sweep_task", {"expires": 7.0})]

    def refused(name, **options):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(celery.app, "send_task", refused)
    assert not celery.clock_catch_up(why="test")
