"""The Meta emulator's Graph behaviour the contract requires: default fields, unknown fields, paging, limits,
summaries, upper-case user types and rate-limit answers (one test per contract constraint)."""

from __future__ import annotations

import json

import pytest

from tests.connectors.meta.test_emulator_tokens import Graph, error
from tests.connectors.meta_fixtures import BUSINESS_ID, TOKEN, business, many_users


@pytest.mark.constraint("meta", "fields_selection")
def test_default_fields_only_and_permitted_tasks_only_when_asked():
    graph = Graph()
    status, body = graph.get(f"/{BUSINESS_ID}/business_users")
    assert status == 200 and set(body["data"][0]) == {"id", "name"}
    status, body = graph.get("/act_6001/assigned_users", business=BUSINESS_ID)
    assert set(body["data"][0]) == {"id", "name", "tasks"}  # tasks is the edge's default field
    status, body = graph.get("/act_6001/assigned_users", business=BUSINESS_ID, fields="user_type,permitted_tasks")
    assert set(body["data"][0]) == {"id", "user_type", "permitted_tasks"}


@pytest.mark.constraint("meta", "unknown_field_refused")
@pytest.mark.parametrize("path", ["/8501/assigned_users", "/2001/assigned_whatsapp_business_accounts"])
def test_permitted_tasks_on_whatsapp_edges_is_a_nonexisting_field(path):
    status, body = Graph().get(path, business=BUSINESS_ID, fields="id,tasks,permitted_tasks")
    assert (status, error(body)["code"]) == (400, 100)
    assert error(body)["message"].startswith("(#100) Tried accessing nonexisting field (permitted_tasks)")
    assert Graph().get(path, business=BUSINESS_ID, fields="id,tasks")[0] == 200


@pytest.mark.constraint("meta", "cursor_paging")
def test_a_full_last_page_still_has_next_to_an_empty_page():
    graph = Graph(business(business_users=many_users(50)))
    status, first = graph.get(f"/{BUSINESS_ID}/business_users", limit=25)
    assert first["paging"]["cursors"]["after"] and "next" in first["paging"]
    status, second = graph.get(f"/{BUSINESS_ID}/business_users", limit=25, after=first["paging"]["cursors"]["after"])
    assert len(second["data"]) == 25 and "next" in second["paging"]  # exactly full: Graph still says next
    status, third = graph.get(f"/{BUSINESS_ID}/business_users", limit=25, after=second["paging"]["cursors"]["after"])
    assert third["data"] == [] and "next" not in third["paging"] and third["paging"]["cursors"]["after"]


@pytest.mark.constraint("meta", "limit_capped_not_refused")
def test_a_limit_above_the_cap_is_shortened_not_refused():
    graph = Graph(business(business_users=many_users(130)))
    status, body = graph.get(f"/{BUSINESS_ID}/business_users", limit=500)
    assert status == 200 and len(body["data"]) == 100 and "next" in body["paging"]


@pytest.mark.constraint("meta", "summary_total_count")
def test_summary_total_count():
    status, body = Graph().get("/act_6001/assigned_users", business=BUSINESS_ID, summary="total_count", limit=1)
    assert body["summary"] == {"total_count": 2} and len(body["data"]) == 1
    assert "summary" not in Graph().get("/act_6001/assigned_users", business=BUSINESS_ID)[1]


@pytest.mark.constraint("meta", "user_type_upper_case")
def test_user_type_is_served_upper_case_even_from_lower_case_data():
    data = business()
    data["owned_ad_accounts"][0]["assigned_users"][0]["user_type"] = "system_user"
    status, body = Graph(data).get("/act_6001/assigned_users", business=BUSINESS_ID, fields="user_type")
    assert [u["user_type"] for u in body["data"]] == ["SYSTEM_USER", "BUSINESS_USER"]


@pytest.mark.constraint("meta", "rate_limit_codes")
@pytest.mark.parametrize("code", [4, 17, 80004, 80008])
def test_rate_limit_answers_carry_code_and_usage_header(code):
    graph = Graph()
    graph.emulator.faults.add("rate_limit", "/act_6001/assigned_users", code=code, regain_minutes=3)
    response = graph.client.get("/v25.0/act_6001/assigned_users", query_string={"business": BUSINESS_ID},
                                headers={"Authorization": f"Bearer {TOKEN}"})
    body = response.get_json()
    assert response.status_code == 400 and error(body)["code"] == code
    assert error(body)["message"].startswith(f"(#{code})")
    usage = json.loads(response.headers["X-Business-Use-Case-Usage"])
    assert [e["estimated_time_to_regain_access"] for entries in usage.values() for e in entries] == [3]
