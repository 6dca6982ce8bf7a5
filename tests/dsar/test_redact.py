"""Art. 15(4): other people's identifiers are withheld, the subject's own are kept, and each is counted."""

from __future__ import annotations

from auditor.dsar.redact import REDACTED, Redactor, candidate_tokens


def redactor() -> Redactor:
    return Redactor(own_ids={"111", "cust-501"}, own_emails={"michal.w@poczta.example"}, own_uids={"mwozniak"},
                    other_ids={"222", "333"}, other_uids={"kszymanska"})


def test_an_event_by_someone_else_on_the_subject_hides_the_actor() -> None:
    r = redactor()
    row = {"actor_id": "222", "actor_name": "Olena Kovalenko", "target_id": "cust-501", "target_name": "Michał W.",
           "raw_action": "refund_issued"}
    out = r.activity_log(row)
    assert (out["actor_id"], out["actor_name"]) == (REDACTED, REDACTED)
    assert (out["target_id"], out["target_name"]) == ("cust-501", "Michał W.")
    assert row["actor_name"] == "Olena Kovalenko"  # the input is not changed
    assert r.counts["activity_log"] == 1


def test_an_event_by_the_subject_on_another_person_hides_the_target_but_not_a_campaign() -> None:
    r = redactor()
    on_person = r.activity_log({"actor_id": "111", "actor_name": "Michał", "target_id": "333",
                                "target_name": "Karolina Szymańska"})
    on_campaign = r.activity_log({"actor_id": "111", "actor_name": "Michał", "target_id": "998877",
                                  "target_name": "Black Friday – doniczki"})
    assert on_person["actor_name"] == "Michał" and on_person["target_name"] == REDACTED
    assert on_campaign["target_name"] == "Black Friday – doniczki"  # an object, not a person
    assert r.counts["activity_log"] == 1


def test_free_text_keeps_the_subject_and_hides_everyone_else() -> None:
    r = redactor()
    message = ("page Kwiatek Sklep has 3 administrators (at most 2): 222, 111, 333. Contact anna@poczta.example "
               "or michal.w@poczta.example; owner: kszymanska, linked to mwozniak")
    out = r.findings({"message": message})["message"]
    assert out == ("page Kwiatek Sklep has 3 administrators (at most 2): [redacted], 111, [redacted]. Contact "
                   "[redacted] or michal.w@poczta.example; owner: [redacted], linked to mwozniak")
    assert r.counts["findings"] == 4


def test_person_fields_of_accounts_rights_and_the_directory() -> None:
    r = redactor()
    assert r.access_rights({"granted_by": "222", "role": "ADMIN"})["granted_by"] == REDACTED
    assert r.access_rights({"granted_by": "111"})["granted_by"] == "111"
    assert r.access_rights({"granted_by": None})["granted_by"] is None
    assert r.platform_accounts({"created_by": "Łukasz Żółć"})["created_by"] == REDACTED
    assert r.identity({"manager": "mwrobel", "uid": "mwozniak"})["manager"] == REDACTED
    change = r.directory_history({"field": "manager", "old": "mwrobel", "new": "kszymanska"})
    assert (change["old"], change["new"]) == (REDACTED, REDACTED)
    kept = r.directory_history({"field": "emails", "old": "michal.w@poczta.example", "new": "x@y.example"})
    assert (kept["old"], kept["new"]) == ("michal.w@poczta.example", REDACTED)
    assert dict(r.counts) == {"access_rights": 1, "platform_accounts": 1, "identity": 1, "directory_history": 3}


def test_apply_redacts_every_category_and_candidate_tokens_finds_the_ids_to_check() -> None:
    records = {"findings": [{"message": "holders: 222, 444"}], "activity_log": [{"actor_id": "555"}],
               "directory_history": [{"field": "manager", "old": "mwrobel", "new": None}], "connected_apps": [{}]}
    assert candidate_tokens(records) >= {"222", "444", "555", "mwrobel", "holders"}
    out = redactor().apply(records)
    assert out["findings"][0]["message"] == "holders: [redacted], 444"  # 444 is nobody the auditor knows
    assert out["activity_log"][0]["actor_id"] == REDACTED
