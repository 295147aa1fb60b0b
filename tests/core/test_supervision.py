"""``gateway serve`` supervises its scheduler child (``gateway worker``): a child that dies is
logged with its exit status or signal and started again with back-off; stopping the server stops
it, leaving no orphan.

In process: ``WorkerSupervisor`` on real short-lived children and a hand-moved clock. Live: a
real ``gateway serve`` whose worker is SIGKILLed.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

import pytest

from gateway.worker.supervisor import WorkerSupervisor, describe_exit
from tests.e2e.test_ipn_e2e import Shop, is_refund_ipn, refund_status
from tests.support.servers import running

#: Deadline for a process to be seen gone (a stopped server waits for its child before exiting).
GONE_DEADLINE = 15.0


class HandClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def exiting(status: int) -> list[str]:
    return [sys.executable, "-c", f"import sys; sys.exit({status})"]


def child(supervisor: WorkerSupervisor) -> subprocess.Popen[bytes] | None:
    """The running child, read afresh (each ``supervise`` may change it)."""
    return supervisor.process


def ended(supervisor: WorkerSupervisor) -> int:
    """Wait for the current child to end (it exits by itself) and collect it; its pid."""
    assert supervisor.process is not None
    supervisor.process.wait(timeout=30)
    pid = supervisor.process.pid
    supervisor.reap()
    return pid


def test_an_ended_child_is_logged_and_restarted_with_back_off(caplog):
    clock = HandClock()
    supervisor = WorkerSupervisor(
        exiting(3), os.environ, first_delay=1, max_delay=4, stable_after=60, clock=clock
    )
    caplog.set_level(logging.INFO, logger="gateway.worker.supervisor")
    supervisor.start()
    try:
        delays = []
        for _ in range(4):
            pid = ended(supervisor)
            clock.now += 0.5  # a quick death: the back-off grows
            supervisor.supervise()
            assert child(supervisor) is None
            (message,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
            caplog.clear()
            assert f"gateway worker (pid {pid}) exited with status 3 after 0.5s" in message
            delays.append(float(message.rpartition(" in ")[2].rstrip("s")))
            clock.now += delays[-1] - 0.01
            supervisor.supervise()
            assert child(supervisor) is None  # not before its back-off is over
            clock.now += 0.01
            supervisor.supervise()
            restarted = child(supervisor)
            assert restarted is not None and restarted.pid != pid
        assert delays == [1, 2, 4, 4]
        pid = ended(supervisor)
        clock.now += 60  # ran long enough: the back-off starts over
        supervisor.supervise()
        assert "restarting it in 1s" in caplog.records[-1].getMessage()
    finally:
        supervisor.stop()


def test_stop_ends_the_child_and_supervision():
    supervisor = WorkerSupervisor(
        [sys.executable, "-c", "import time; time.sleep(60)"], os.environ, clock=HandClock()
    )
    supervisor.start()
    process = supervisor.process
    assert process is not None
    supervisor.stop()
    assert process.returncode == -signal.SIGTERM
    supervisor.supervise()
    assert supervisor.process is None  # nothing is started after a stop


def test_exits_are_described_by_status_or_signal():
    assert describe_exit(-signal.SIGKILL) == "was killed by SIGKILL"
    assert describe_exit(2) == "exited with status 2"
    assert describe_exit(-200) == "was killed by signal 200"


# --- under a real gateway serve ------------------------------------------------------------------


def wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + GONE_DEADLINE
    while running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)  # poll interval, bounded by the deadline
    return True


@pytest.mark.e2e
@pytest.mark.sdk
def test_a_sigkilled_worker_comes_back_and_the_pending_refund_settles(own_server, receiver):
    server = own_server(scheduler=True).start()
    shop = Shop(server, receiver.url)
    _, capture_id = shop.captured_order()
    killed = server.scheduler_pid()
    os.kill(killed, signal.SIGKILL)
    # Made while no worker runs: nothing would ever deliver its notification.
    refund_id = shop.refund(capture_id, "10.00")
    restarted = server.scheduler_pid(other_than=killed)
    assert f"gateway worker (pid {killed}) was killed by SIGKILL" in server.log()
    shop.advance(10)
    assert shop.refund_state(refund_id) == ("Completed", None)
    # Only the worker posts IPNs: the restarted one delivers the settled refund's.
    received = receiver.next_matching(is_refund_ipn(refund_id))
    assert refund_status(received)[:2] == ("Completed", None)
    assert server.process is not None
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(timeout=30)
    assert wait_gone(restarted), "the worker outlived gateway serve"


@pytest.mark.e2e
def test_sigint_to_serve_stops_its_worker(own_server):
    server = own_server(scheduler=True).start()
    worker = server.scheduler_pid()
    assert server.process is not None
    server.process.send_signal(signal.SIGINT)  # the master alone, not its process group
    server.process.wait(timeout=30)
    assert wait_gone(worker), "the worker outlived gateway serve"
    assert "restarting" not in server.log()
