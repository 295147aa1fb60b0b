"""Amazon's Node.js SDK for API v2, driven from Python: one ``node tests/node/v2_runner.js``
process kept for a test module, one JSON line per SDK call each way.

The SDK is used unchanged but for its documented endpoint override (``overrideServiceUrl``: it
then calls ``https://<override>/…`` and accepts a self-signed certificate, reference §9).
``NodeSdk.client(...)`` gives the configuration a merchant would write; ``call`` runs one SDK
method and answers ``SdkAnswer`` (status, body, headers) whether the call succeeded or not.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
INSTALL = "run `npm ci` in tests/node (.ci/run does)"
#: How long one SDK call may take (the SDK's own retries back off 1, 2, 4 s).
CALL_DEADLINE = 60.0


class NodeFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class SdkAnswer:
    status: int
    body: Any
    headers: dict[str, Any]

    @property
    def reason(self) -> str | None:
        return self.body.get("reasonCode") if isinstance(self.body, dict) else None


class NodeSdk:
    """The runner process; ``close()`` ends it."""

    def __init__(self, override: str) -> None:
        node = shutil.which("node")
        if node is None:
            raise NodeFailed(f"Node.js is needed: install it, then {INSTALL}")
        if not (NODE_DIR / "node_modules" / "@amazonpay" / "amazon-pay-api-sdk-nodejs").is_dir():
            raise NodeFailed(f"the Amazon Pay Node SDK is not installed: {INSTALL}")
        self.override = override
        self.process = subprocess.Popen(
            [node, "v2_runner.js"],
            cwd=NODE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # the SDK's TLS warning
            text=True,
            env={**os.environ},
        )

    def client(
        self,
        public_key_id: str,
        private_key_pem: str,
        *,
        algorithm: str = "AMZN-PAY-RSASSA-PSS-V2",
        sandbox: bool = True,
        region: str = "us",
    ) -> dict[str, Any]:
        """The SDK configuration a merchant writes (docs/v2.md quick start)."""
        return {
            "publicKeyId": public_key_id,
            "privateKey": private_key_pem,
            "region": region,
            "sandbox": sandbox,
            "algorithm": algorithm,
            "overrideServiceUrl": self.override,
        }

    def _send(self, step: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(step) + "\n")
        self.process.stdin.flush()
        deadline = time.monotonic() + CALL_DEADLINE
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise NodeFailed(f"no answer from the SDK within {CALL_DEADLINE}s: {step}")
            ready, _, _ = select.select([self.process.stdout], [], [], left)
            if ready:
                break
        line = self.process.stdout.readline()
        if not line:
            raise NodeFailed(f"the Node runner ended (exit {self.process.poll()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _answer(self, answer: dict[str, Any]) -> SdkAnswer:
        if "error" in answer:
            raise NodeFailed(f"the SDK got no answer: {answer['error']}")
        return SdkAnswer(answer["status"], answer["body"], answer["headers"])

    def call(self, client: dict[str, Any], method: str, *args: Any) -> SdkAnswer:
        """``new WebStoreClient(client)[method](...args)``, its HTTP answer."""
        return self._answer(self._send({"client": client, "call": method, "args": list(args)}))

    def value(self, client: dict[str, Any], method: str, *args: Any) -> Any:
        """A method that returns a value, not a request (``generateButtonSignature``)."""
        return self._send({"client": client, "call": method, "args": list(args)})["value"]

    def tampered(
        self,
        client: dict[str, Any],
        method: str,
        url_fragment: str,
        signed: Any,
        sent: Any,
        headers: dict[str, str] | None = None,
    ) -> SdkAnswer:
        """A request the SDK signed over ``signed`` and that arrives with the body ``sent``."""
        spec = {
            "method": method,
            "urlFragment": url_fragment,
            "signed": signed,
            "sent": sent,
            "headers": headers or {},
        }
        return self._answer(self._send({"client": client, "tamper": spec}))

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
