"""A reviewer's page: a reviewer not yet declared may declare no conflict and give the verdict in
one form (one round trip on a slow connection); the verdict without the declaration is refused
in Indonesian and recorded, and nothing of it is written."""

from __future__ import annotations

from tests.helpers.browser import browser
from tests.helpers.promotion_api import Api, new_employee, open_review, started

DECLARE_BOX = 'name="declares_no_conflict"'


async def test_a_reviewer_declares_and_gives_the_verdict_in_one_form(api: Api) -> None:
    pid = await started(api, await new_employee(api))
    review = await open_review(api, pid)
    rid, seat = review["id"], review["seats"][0]["reviewer_id"]
    reviewer = browser(api)
    await reviewer.sign_in("reviewer", "Rudi BKN", seat, agency="")
    page = await reviewer.get(f"/reviews/{rid}")
    assert DECLARE_BOX in page.text and "Nyatakan" in page.text  # both ways are offered

    # The box left unticked (a browser would not let it through; a forged post may): refused,
    # in Indonesian, recorded, and nothing declared.
    r = await reviewer.post(
        f"/reviews/{rid}/verdicts",
        {"verdict": "approve", "justification": "Pertek sesuai.", "request_id": "no-box-1"},
    )
    assert r.status_code == 422 and "konflik kepentingan" in r.text, r.text
    r = await reviewer.post(
        f"/reviews/{rid}/verdicts",
        {
            "verdict": "approve",
            "justification": "Pertek sesuai.",
            "declares_no_conflict": "yes",
            "request_id": reviewer.request_id(),
        },
    )
    assert r.status_code == 200 and "Putusan Anda telah dicatat." in r.text, r.text
    assert DECLARE_BOX not in r.text  # concluded: no form is left
    # The review's subject, status, outcome, quorum, seats and reason by name, in Indonesian.
    facts = r.text.split('<dl class="facts">')[1].split("</ul>")[0]
    assert "Selesai ditelaah" in facts and "disetujui" in facts, facts
    assert "pertimbangan teknis kenaikan pangkat" in r.text
    assert "putusan pertama yang menentukan (salah satu)" in facts, facts  # the quorum's reason
    assert "concluded" not in facts and "approve" not in facts and "first verdict" not in facts

    entries = (await api.get(f"/v1/processes/{rid}/ledger")).json()["entries"]
    refused = [e["payload"]["error"] for e in entries if e["outcome"] == "refused"]
    accepted = [e["kind"] for e in entries if e["outcome"] == "accepted" and e["actor_id"] == seat]
    assert refused == ["conflict_declaration_required"]
    assert accepted == ["review.no_conflict_declared", "review.verdict"]
    await api.wait_for(pid, lambda b: (b["pending"] or {}).get("step") == "appointing_authority")


async def test_a_reviewer_who_declared_apart_sees_the_verdict_form_without_the_box(
    api: Api,
) -> None:
    pid = await started(api, await new_employee(api))
    review = await open_review(api, pid)
    rid, seat = review["id"], review["seats"][0]["reviewer_id"]
    reviewer = browser(api)
    await reviewer.sign_in("reviewer", "Rudi BKN", seat, agency="")
    await reviewer.get(f"/reviews/{rid}")
    r = await reviewer.post(
        f"/reviews/{rid}/declarations",
        {"has_conflict": "no", "request_id": reviewer.request_id()},
    )
    assert r.status_code == 200 and "Pernyataan Anda telah dicatat." in r.text, r.text
    assert DECLARE_BOX not in r.text and "Berikan putusan saya" in r.text
