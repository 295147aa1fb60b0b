"""Regenerate tests/vectors/sigv2.json from the SDK: ``python -m tests.core.make_vectors``."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

from tests.core.sdk_vectors import CASES, sdk_sign

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "sigv2.json"


def build() -> dict[str, object]:
    vectors = []
    for case in CASES:
        signed = sdk_sign(case)
        endpoint = urlparse(case["endpoint"])
        vectors.append(
            {
                "method": "POST",
                "host": endpoint.netloc,
                "path": endpoint.path,
                "secret": case["secret"],
                "signature_method": "HmacSHA256",
                "params": signed["params"],
                "string_to_sign": signed["string_to_sign"],
                "signature": signed["signature"],
            }
        )
    return {
        "source": "amazon_pay 2.7.1 PaymentRequest._querystring, via tests/core/make_vectors.py",
        "vectors": vectors,
    }


if __name__ == "__main__":
    VECTORS.write_text(json.dumps(build(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
