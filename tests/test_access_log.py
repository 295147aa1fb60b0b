"""One access line per request (method, path, Action, status, ms), and the switch that turns it
off; ``gateway serve --help`` names the data dir's default."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from click.testing import CliRunner

from gateway.app import create_app
from gateway.cli import cli
from gateway.config import load_settings
from gateway.runtime import Runtime
from tests.helpers import SignedApi

LINE = re.compile(
    r"^(?P<method>[A-Z]+) (?P<path>\S+)(?: Action=(?P<action>\w+))? (?P<status>\d{3}) [\d.]+ms$"
)


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, str | Any]]:
    lines = [r.getMessage() for r in caplog.records if r.name == "gateway.access"]
    matches = [LINE.match(line) for line in lines]
    assert all(matches), lines
    return [m.groupdict() for m in matches if m]


def test_each_request_logs_one_line_with_its_action(
    api: SignedApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.access")
    order_id = api.new_order()
    api.call("GetOrderReferenceDetails", AmazonOrderReferenceId=order_id)
    api.client.get("/no/such/path")
    assert access_lines(caplog) == [
        {
            "method": "POST",
            "path": f"/sandbox/api/v1/merchants/{api.merchant.seller_id}/order-references",
            "action": None,
            "status": "201",
        },
        {
            "method": "POST",
            "path": "/OffAmazonPayments_Sandbox/2013-01-01",
            "action": "GetOrderReferenceDetails",
            "status": "200",
        },
        {"method": "GET", "path": "/no/such/path", "action": None, "status": "404"},
    ]


def test_the_access_log_can_be_turned_off(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.access")
    quiet = Runtime.from_settings(runtime.settings.replace(access_log=False))
    create_app(runtime=quiet, initialize=False).test_client().get("/sandbox/api/v1/health")
    assert access_lines(caplog) == []


def test_the_switch_reads_the_flag_and_the_environment() -> None:
    assert load_settings().access_log is True
    assert load_settings(environ={"GATEWAY_ACCESS_LOG": "0"}).access_log is False
    assert load_settings({"access_log": False}).access_log is False


def test_serve_help_names_the_data_dir_default_and_the_switch() -> None:
    text = CliRunner().invoke(cli, ["serve", "--help"], terminal_width=200).output
    assert ".gateway-data in the current folder" in text
    assert "GATEWAY_DATA_DIR" in text
    assert "--no-access-log" in text
