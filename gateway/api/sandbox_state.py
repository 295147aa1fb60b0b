"""The sandbox's state as a whole (JSON under ``/sandbox/api/v1``): resetting a merchant or the
sandbox, exporting a merchant as one JSON document and importing one into a fresh merchant."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields
from sqlalchemy.orm import Session

from gateway.api.control import clock_json
from gateway.api.sandbox import ControlError, control_api, merchant_or_404, query, runtime
from gateway.domain.reset import reset_merchant, reset_sandbox
from gateway.scenarios.schema import ScenarioSpec  # noqa: F401 (named in load's docstring)

if TYPE_CHECKING:
    from gateway.scenarios.loader import MadeMerchant

# The export, the import and the scenario loader (with YAML) are imported by the calls that use
# them: a worker that starts has no need of them before its first answer.

bp = Blueprint("sandbox_state", __name__, url_prefix="/sandbox/api/v1")
control_api(bp)


class ClockViewSchema(Schema):
    now = fields.String()
    frozen = fields.Boolean()
    offset_seconds = fields.Float()


class MerchantResetSchema(Schema):
    seller_id = fields.String()
    clock = fields.Nested(ClockViewSchema)


class SandboxResetSchema(Schema):
    merchants_reset = fields.Integer()


class ImportedSchema(Schema):
    seller_id = fields.String()
    access_key = fields.String()
    secret_key = fields.String()
    imported = fields.Dict(keys=fields.String(), values=fields.Integer())


class ImportQuerySchema(Schema):
    keep_ids = fields.Boolean(load_default=False)


class MadeOrderSchema(Schema):
    amazon_order_reference_id = fields.String()
    status = fields.String()
    authorizations = fields.List(fields.String())
    captures = fields.List(fields.String())
    refunds = fields.List(fields.String())
    disputes = fields.List(fields.String())


class MadeV2CheckoutSchema(Schema):
    checkout_session_id = fields.String()
    status = fields.String()
    charge_permissions = fields.List(fields.String())
    charges = fields.List(fields.String())
    refunds = fields.List(fields.String())
    disputes = fields.List(fields.String())


class MadeMerchantSchema(Schema):
    seller_id = fields.String()
    access_key = fields.String()
    secret_key = fields.String()
    orders = fields.List(fields.Nested(MadeOrderSchema))
    v2_checkouts = fields.List(fields.Nested(MadeV2CheckoutSchema))
    fault_rules = fields.List(
        fields.Integer(), metadata={"description": "The ids of the fault rules it declared."}
    )


class ScenarioResultSchema(Schema):
    merchants = fields.List(fields.Nested(MadeMerchantSchema))


@bp.post("/merchants/<seller_id>/reset")
def reset_one(seller_id: str) -> ResponseReturnValue:
    """Remove all the merchant's objects, notifications and journal; clock back to real time.

    Its keys, settings and preferences stay.
    ---
    tags: [merchants]
    parameters:
      - {in: path, name: seller_id, required: true, schema: {type: string}}
    responses:
      200:
        description: Reset.
        content:
          application/json:
            schema: MerchantResetSchema
      404:
        description: No such merchant.
    """
    rt = runtime()

    def work(session: Session) -> tuple[int, dict[str, Any]]:
        merchant_id = merchant_or_404(session, seller_id).id
        reset_merchant(session, merchant_id)
        session.flush()
        return merchant_id, {
            "seller_id": seller_id,
            "clock": clock_json(merchant_or_404(session, seller_id)),
        }

    merchant_id, done = rt.db.run(work)
    rt.journal.clear(merchant_id)
    return jsonify(done)


@bp.post("/reset")
def reset_all() -> ResponseReturnValue:
    """Reset every merchant (their keys and settings stay) and empty the request journal.
    ---
    tags: [sandbox]
    responses:
      200:
        description: Reset.
        content:
          application/json:
            schema: SandboxResetSchema
    """
    rt = runtime()
    count = rt.db.run(reset_sandbox)
    rt.journal.clear_all()
    return jsonify(merchants_reset=count)


@bp.get("/merchants/<seller_id>/export")
def export(seller_id: str) -> ResponseReturnValue:
    """The merchant's whole state as one JSON document, streamed (docs/administration.md).
    ---
    tags: [merchants]
    parameters:
      - {in: path, name: seller_id, required: true, schema: {type: string}}
    responses:
      200:
        description: The export document.
        content:
          application/json:
            schema: {type: object}
      404:
        description: No such merchant.
    """
    from gateway.transfer.export import export_merchant

    rt = runtime()
    merchant_id = rt.db.run(lambda s: merchant_or_404(s, seller_id).id, write=False)
    return Response(
        export_merchant(rt.db, merchant_id, rt.clock.now()),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{seller_id}.json"'},
    )


@bp.post("/merchants/import")
def import_document() -> ResponseReturnValue:
    """A merchant export into a new merchant: new seller id and keys, new ids unless keep_ids.
    ---
    tags: [merchants]
    parameters:
      - in: query
        schema: ImportQuerySchema
    requestBody:
      content:
        application/json:
          schema: {type: object, description: A document of GET .../export}
    responses:
      201:
        description: The new merchant's credentials and what was imported.
        content:
          application/json:
            schema: ImportedSchema
      400:
        description: A bad document (InvalidDocument names the entry at fault).
      415:
        description: Not sent as application/json.
    """
    if request.mimetype != "application/json":
        raise ControlError(
            415,
            "UnsupportedMediaType",
            "Send the export document as Content-Type: application/json.",
        )
    from gateway.transfer.importing import ImportProblem, import_merchant

    keep_ids = query(ImportQuerySchema)["keep_ids"]
    rt = runtime()
    request.max_content_length = rt.settings.max_import_bytes
    try:
        done = import_merchant(rt, request.stream, keep_ids=keep_ids)
    except ImportProblem as exc:
        raise ControlError(400, "InvalidDocument", str(exc)) from None
    return jsonify(
        seller_id=done.seller_id,
        access_key=done.access_key,
        secret_key=done.secret_key,
        imported=done.counts,
    ), 201


#: Content types a scenario may be posted as, and the file name its parser goes by.
SCENARIO_TYPES = {
    "application/json": "scenario.json",
    "application/yaml": "scenario.yaml",
    "application/x-yaml": "scenario.yaml",
    "text/yaml": "scenario.yaml",
}


def made_json(made: MadeMerchant) -> dict[str, Any]:
    return {
        "seller_id": made.seller_id,
        "access_key": made.access_key,
        "secret_key": made.secret_key,
        "orders": [
            {"amazon_order_reference_id": o.amazon_order_reference_id, "status": o.status, **o.ids}
            for o in made.orders
        ],
        "v2_checkouts": [
            {"checkout_session_id": c.checkout_session_id, "status": c.status, **c.ids}
            for c in made.v2_checkouts
        ],
        "fault_rules": made.fault_rules,
    }


@bp.post("/scenarios")
def load() -> ResponseReturnValue:
    """Make a scenario (JSON, or YAML as application/yaml) in the running sandbox.
    ---
    tags: [sandbox]
    requestBody:
      content:
        application/json:
          schema: ScenarioSpec
        application/yaml:
          schema: ScenarioSpec
    responses:
      201:
        description: Each merchant's credentials and its orders' ids.
        content:
          application/json:
            schema: ScenarioResultSchema
      400:
        description: A bad scenario (InvalidScenario names the entry at fault).
      415:
        description: Neither JSON nor YAML.
    """
    from gateway.scenarios.loader import ScenarioProblem, load_scenario, parse_file

    name = SCENARIO_TYPES.get(request.mimetype)
    if name is None:
        raise ControlError(
            415,
            "UnsupportedMediaType",
            "Send a scenario as application/json or application/yaml "
            f"(it was sent as {request.mimetype or 'no Content-Type'}).",
        )
    try:
        text = request.get_data(cache=False).decode("utf-8")
        made = load_scenario(runtime(), parse_file(text, name))
    except UnicodeDecodeError:
        raise ControlError(400, "InvalidScenario", "The scenario is not UTF-8 text.") from None
    except ScenarioProblem as exc:
        raise ControlError(400, "InvalidScenario", str(exc)) from None
    return jsonify(merchants=[made_json(m) for m in made]), 201
