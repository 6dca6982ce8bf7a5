"""``POST /api/offboarding``: the HR system opens an offboarding case (blueprint ``offboarding_api``).

A machine-to-machine endpoint: no session and no CSRF token; the request is authenticated by its HMAC-SHA256
signature over the raw body with a timestamp (see ``auditor.offboarding.webhook``), so the view is marked
``@public`` and ``@csrf_exempt`` for the session guard. Answers are JSON and never cached:

- 201 case opened (with its first check), 200 existing case (replayed event id, or already open);
- 400 body not JSON, 401 signature / timestamp, 413 too large, 415 not JSON content, 422 bad field (named in
  ``field``), 409 ambiguous email, 503 webhook secret not configured.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from auditor.offboarding.use_cases import receive_webhook
from auditor.web.guard import csrf_exempt, public

bp = Blueprint("offboarding_api", __name__)


def _answer(status: int, body: dict[str, Any]) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/api/offboarding")
@public
@csrf_exempt
def receive() -> Response:
    """Verify and handle one HR webhook request."""
    context = current_app.extensions["auditor"]
    limit = context.settings.offboarding.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        return _answer(413, {"error": f"body: larger than {limit} bytes"})
    if request.mimetype != "application/json":
        return _answer(415, {"error": "Content-Type: application/json expected"})
    body = request.get_data(cache=True)
    answer = receive_webhook(context.settings, body, request.headers, now=context.now(), db=context.db)
    return _answer(answer.status, answer.body)
