"""``gateway serve``'s scheduler child, supervised: started once gunicorn is ready, started again
with back-off whenever it ends (a crash, a SIGKILL, the OOM killer), each end logged with its exit
status or signal, and stopped with the server.

The supervisor lives in gunicorn's master and runs on its loop (``gateway.server``): ``reap``
collects the child's exit status before gunicorn's own ``waitpid(-1)`` would swallow it, and
``supervise`` acts on it. No threads: threads in the master would be inherited, half-alive, by
every worker it forks. Only the standard library here (the master imports nothing more).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence

log = logging.getLogger(__name__)

#: The first restart waits this long; each further restart in a row twice as long, up to the cap.
FIRST_RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 30.0
#: A child that ran this long before it ended resets the back-off (it was not crash-looping).
STABLE_AFTER = 60.0
#: How long a stopped child has to exit after SIGTERM before it is killed.
STOP_GRACE = 10.0


def describe_exit(returncode: int) -> str:
    """How a child ended, from ``Popen.returncode`` ("was killed by SIGKILL", "exited with status
    2")."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"was killed by {name}"
    return f"exited with status {returncode}"


class WorkerSupervisor:
    """Keeps one child process (``argv``, ``env``) running until ``stop``."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        *,
        name: str = "gateway worker",
        first_delay: float = FIRST_RESTART_DELAY,
        max_delay: float = MAX_RESTART_DELAY,
        stable_after: float = STABLE_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.argv, self.env, self.name = list(argv), dict(env), name
        self.first_delay, self.max_delay, self.stable_after = first_delay, max_delay, stable_after
        self._clock = clock
        self.process: subprocess.Popen[bytes] | None = None
        self._started_at = 0.0
        #: Ends in a row of children that did not run ``stable_after`` seconds.
        self._failures = 0
        #: When to start the next child (None: one is running, or supervision has stopped).
        self._restart_at: float | None = None
        self._stopped = True

    def start(self) -> None:
        """Start the child and supervise it from now on."""
        self._stopped = False
        self._spawn()

    def _spawn(self) -> None:
        self._restart_at = None
        try:
            self.process = subprocess.Popen(self.argv, env=self.env)
        except OSError as exc:  # no such interpreter any more, out of processes ...
            self.process = None
            self._failures += 1
            delay = self._delay()
            log.error("%s could not be started (%s); trying again in %gs", self.name, exc, delay)
            self._restart_at = self._clock() + delay
            return
        self._started_at = self._clock()
        log.info("%s started (pid %s)", self.name, self.process.pid)

    def _delay(self) -> float:
        delay: float = min(self.first_delay * 2 ** min(self._failures - 1, 30), self.max_delay)
        return delay

    def reap(self) -> None:
        """Collect the child's exit status if it has ended (safe in a signal handler: no I/O)."""
        if self.process is not None:
            self.process.poll()

    def supervise(self) -> None:
        """On each turn of the master's loop: log a child that ended and plan its restart, and
        start the next one when its time has come."""
        if self._stopped:
            return
        process = self.process
        if process is not None and process.poll() is not None:
            now = self._clock()
            ran = now - self._started_at
            self._failures = 1 if ran >= self.stable_after else self._failures + 1
            delay = self._delay()
            log.error(
                "%s (pid %s) %s after %.1fs; restarting it in %gs",
                self.name,
                process.pid,
                describe_exit(process.returncode),
                ran,
                delay,
            )
            self.process = None
            self._restart_at = now + delay
        if self._restart_at is not None and self._clock() >= self._restart_at:
            self._spawn()

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop supervising and stop the child: SIGTERM, then SIGKILL after ``grace`` seconds."""
        self._stopped = True
        self._restart_at = None
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            log.error(
                "%s (pid %s) did not stop within %gs; killing it", self.name, process.pid, grace
            )
            process.kill()
            process.wait()
