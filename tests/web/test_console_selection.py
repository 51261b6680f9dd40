"""The selection's pages over the real stack (dev server, worker, database), on the training
rulebook: every stage's form is one request of the action pipeline, and a refusal is shown in
Bahasa Indonesia beside the field at fault and recorded in the ledger like the API's."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from domain.calendar import WIB
from store import ledger
from tests.helpers import selection_setup as setup
from tests.helpers.browser import Browser
from tests.helpers.page_weight import BUDGET, cold_bytes
from tests.helpers.promotion_api import Api

NAMES = ("Pelamar 1", "Pelamar 2", "Pelamar 3", "Pelamar 4")


def browser(api: Api) -> Browser:
    transport = api.http._transport  # noqa: SLF001 - the same app, a cookie jar of its own
    return Browser(httpx.AsyncClient(transport=transport, base_url="http://meritflow.test"))


async def person(api: Api, role: str, sub: str, name: str, agency: str = "KEMENPANRB") -> Browser:
    b = browser(api)
    await b.sign_in(role, name, sub, agency)
    return b


def field_error(html: str) -> str:
    found = re.search(r'<p class="field-error"[^>]*>([^<]+)</p>', html)
    assert found, "no message beside a field"
    return found.group(1)


async def refusals(sessions, pid: str) -> list[tuple[str, str, str]]:
    async with sessions() as s:
        rows = list(await ledger.entries(s, pid))
    return [(r.actor_id, r.kind, r.payload["error"]) for r in rows if r.outcome == "refused"]


async def start(api: Api, body_code: str) -> tuple[Browser, str]:
    hr = await person(api, "agency_hr", "hr-1", "Dewi HR")
    page = await hr.get("/selections")
    assert page.status_code == 200 and "Mulai seleksi" in page.text
    assert setup.TRAINING in page.text  # selectable where training is allowed (test)
    form = {
        "code": f"JPT-WEB-{uuid.uuid4().hex[:6].upper()}",
        "post_title": "Kepala Biro Umum",
        "post_level": "pratama",
        "appointing_authority_id": "ppk-1",
        "rulebook_version": setup.TRAINING,
        "oversight_body": body_code,
    }
    r = await hr.post("/selections", form | {"code": "kode salah!", "request_id": hr.request_id()})
    assert r.status_code == 422 and "Ini tidak diterima" in r.text
    assert 'id="e-code"' in r.text  # beside the code field
    r = await hr.post("/selections", form | {"request_id": hr.request_id()})
    assert r.status_code == 200, r.text
    pid = str(r.url).rsplit("/", 1)[1]
    assert "Perencanaan" in r.text and "Tetapkan panitia seleksi" in r.text
    return hr, pid


async def test_start_and_plan_refusals_are_shown_beside_their_fields(api: Api, sessions) -> None:
    body_code, _ = await setup.oversight_body(api.http, api.settings)
    hr, pid = await start(api, body_code)
    page = await hr.get(f"/selections/{pid}/planning")
    assert "Skema belum ditetapkan" in page.text and 'value="assessment"' in page.text
    # an even panel: refused by the rulebook, in Indonesian, beside the panel
    form = setup.panel_form() | {
        "m-5-id": "m4",
        "m-5-name": "Anggota Empat",
        "m-5-role": "member",
        "m-5-affiliation": "Universitas Gadjah Mada",
    }
    r = await hr.post(f"/selections/{pid}/panel", form | {"request_id": hr.request_id()})
    assert r.status_code == 422, r.text
    assert field_error(r.text) == "Jumlah anggota panitia seleksi harus ganjil."
    assert 'value="Anggota Dua"' in r.text  # what was sent is drawn again
    assert await refusals(sessions, pid) == [("hr-1", "selection.panel_refused", "panel_not_odd")]
    # someone else's agency does not see it at all
    other = await person(api, "agency_hr", "hr-x", "Lain", agency="KEMENKEU")
    assert (await other.get(f"/selections/{pid}")).status_code == 404
    # HR may not cancel; the appointing authority may, with a reason
    page = await hr.get(f"/selections/{pid}/decision")
    assert "Batalkan seleksi" not in page.text
    ppk = await person(api, "appointing_authority", "ppk-1", "Pak PPK")
    page = await ppk.get(f"/selections/{pid}")
    assert f"/selections/{pid}/decision#cancel-h" in page.text
    await ppk.get(f"/selections/{pid}/decision")
    r = await ppk.post(f"/selections/{pid}/cancel", {"reason": " ", "request_id": ppk.request_id()})
    assert r.status_code == 422 and 'id="e-reason-cancel"' in r.text
    r = await ppk.post(
        f"/selections/{pid}/cancel",
        {"reason": "formasi dihapus", "request_id": ppk.request_id()},
    )
    assert "Seleksi telah dibatalkan." in r.text, r.text
    await setup.until(api.http, api.settings, pid, lambda b: b["stage"] == "cancelled")
    public = await browser(api).get(f"/public/selections/{pid}")
    assert "Seleksi dibatalkan" in public.text and "formasi dihapus" in public.text


@pytest.mark.timeout(600)
async def test_a_training_selection_through_the_pages(api: Api, sessions) -> None:
    http, settings = api.http, api.settings
    body_code, _ = await setup.oversight_body(http, settings)
    hr, pid = await start(api, body_code)

    # ---- planning ----------------------------------------------------------------------------------
    await hr.get(f"/selections/{pid}/planning")
    r = await hr.post(
        f"/selections/{pid}/panel", setup.panel_form() | {"request_id": hr.request_id()}
    )
    assert "Panitia seleksi telah dicatat." in r.text
    scheme = {
        "c-0-code": "interview",
        "c-0-name": "Wawancara",
        "c-0-weight": "100",
        "c-0-scorer_kind": "committee",
        "c-0-scorers": "chair, m1",
        "tie_break": "interview, age",
    }
    r = await hr.post(f"/selections/{pid}/scheme", scheme | {"request_id": hr.request_id()})
    assert "Skema penilaian dan penilainya telah dicatat." in r.text, r.text
    r = await hr.post(f"/selections/{pid}/plan", {"request_id": hr.request_id()})
    assert "Rencana telah dikirim" in r.text
    sel = await setup.until(http, settings, pid, lambda b: b["plan_review_id"] is not None)
    await setup.approve_review(http, settings, sel["plan_review_id"])
    await setup.until(http, settings, pid, lambda b: b["stage"] == "announcement")

    # ---- announcement: an instant in WIB on the training rulebook --------------------------------
    page = await hr.get(f"/selections/{pid}/planning")
    assert 'type="datetime-local"' in page.text
    closes = (datetime.now(UTC) + timedelta(seconds=75)).astimezone(WIB)
    r = await hr.post(
        f"/selections/{pid}/announcement",
        {"closes_at": closes.strftime("%Y-%m-%dT%H:%M:%S"), "text": "Dibuka (latihan)"}
        | {"request_id": hr.request_id()},
    )
    assert "Lowongan telah diumumkan." in r.text, r.text

    # ---- registration: one by one, and a CSV file whose bad value is shown in place --------------
    await hr.get(f"/selections/{pid}/applicants")
    person1 = {
        "applicant_id": "a1",
        "name": "Pelamar 1",
        "nip": "197601152000031001",
        "degree": "S2",
        "years_experience": "12",
        "years_senior_post": "4",
        "birth_date": "1976-01-15",
        "grade": "IV/b",
    }
    r = await hr.post(f"/selections/{pid}/applicants", person1 | {"request_id": hr.request_id()})
    assert "Pelamar telah didaftarkan." in r.text, r.text
    bad = setup.CSV_HEADER + setup.applicant_row(2) + setup.applicant_row(3, birth="1976-13-40")
    r = await hr.http.post(
        f"/selections/{pid}/applicants/import",
        data={"csrf_token": hr.csrf, "request_id": hr.request_id()},
        files={"file": ("pelamar.csv", bad.encode(), "text/csv")},
    )
    assert r.status_code == 422, r.text
    cell = re.search(
        r'<td class="bad" id="f-line3-birth_date">1976-13-40<p class="field-error">', r.text
    )
    assert cell, r.text
    assert "Berkas CSV memuat baris yang tidak valid" in r.text
    hr.page = r.text
    good = setup.CSV_HEADER + "".join(setup.applicant_row(i, sanction=i == 4) for i in (2, 3, 4))
    r = await hr.http.post(
        f"/selections/{pid}/applicants/import",
        data={"csrf_token": hr.csrf, "request_id": hr.request_id()},
        files={"file": ("pelamar.csv", good.encode(), "text/csv")},
        follow_redirects=True,
    )
    assert "Pelamar dalam berkas telah didaftarkan." in r.text, r.text
    await setup.until(http, settings, pid, lambda b: b["stage"] == "screening", seconds=300)

    # ---- screening: an override without a reason is refused beside its field --------------------
    chair = await person(api, "selection_committee", "chair", "Prof. Ketua")
    inbox = await chair.get("/inbox")
    assert f"/selections/{pid}/screening" in inbox.text
    page = await chair.get(f"/selections/{pid}/screening")
    assert "tidak memenuhi syarat" in page.text and "Pelamar 4" in page.text
    # Each pre-check reason reads in the person's language (the API keeps the English sentence).
    assert "Tidak sedang menjalani hukuman disiplin." in page.text
    assert "No disciplinary sanction is active." not in page.text
    r = await chair.post(
        f"/selections/{pid}/screening/a4", {"eligible": "yes", "request_id": chair.request_id()}
    )
    assert r.status_code == 422
    assert field_error(r.text) == "Setiap keputusan memerlukan alasan yang cukup."
    assert 'id="e-justification-a4"' in r.text  # beside a4's reason, not another applicant's
    for aid, ok in (("a1", "yes"), ("a2", "yes"), ("a3", "yes"), ("a4", "no")):
        r = await chair.post(
            f"/selections/{pid}/screening/{aid}", {"eligible": ok, "request_id": chair.request_id()}
        )
        assert "Keputusan seleksi administrasi telah dicatat." in r.text, r.text

    # ---- declarations, then blind scoring ---------------------------------------------------------
    m1 = await person(api, "selection_committee", "m1", "Anggota Satu")
    page = await m1.get(f"/selections/{pid}/declaration")
    assert "Pelamar 3" in page.text  # the statement names applicants; the score sheet never does
    sent = {"conflicted": "a3", "reason": "saudara sepupu", "request_id": m1.request_id()}
    r = await m1.post(f"/selections/{pid}/declarations", sent)
    assert "Pernyataan Anda telah dicatat." in r.text, r.text
    # The screening page offers m1 no decision on the applicant m1 is conflicted with.
    page = await m1.get(f"/selections/{pid}/screening")
    assert f'action="/selections/{pid}/screening/a3"' not in page.text
    assert f'action="/selections/{pid}/screening/a1"' in page.text
    assert "Anda menyatakan konflik kepentingan dengan pelamar ini" in page.text
    await chair.get(f"/selections/{pid}/declaration")
    r = await chair.post(
        f"/selections/{pid}/declarations", {"reason": "tidak ada", "request_id": chair.request_id()}
    )
    assert "Pernyataan Anda telah dicatat." in r.text
    await chair.get(f"/selections/{pid}/screening")
    r = await chair.post(f"/selections/{pid}/screening-close", {"request_id": chair.request_id()})
    assert "Seleksi administrasi telah ditutup." in r.text, r.text
    await setup.until(http, settings, pid, lambda b: b["stage"] == "assessment")

    sheet = await m1.get(f"/selections/{pid}/scoring")
    assert all(n not in sheet.text for n in NAMES) and "197601" not in sheet.text
    code = {a: setup.code_of(settings, pid, a) for a in ("a1", "a2", "a3")}
    assert all(c in sheet.text for c in code.values())
    r = await m1.post(
        f"/selections/{pid}/scores",
        {
            "component": "interview",
            "code": code["a3"],
            "score": "70",
            "request_id": m1.request_id(),
        },
    )
    assert r.status_code == 403
    assert field_error(r.text) == (
        "Anda memiliki konflik kepentingan dengan pelamar ini, sehingga tidak boleh menilai atau "
        "memutus seleksi administrasinya."
    )
    assert f'id="e-score-interview-{code["a3"]}"' in r.text
    assert ("m1", "selection.score_refused", "conflict_of_interest") in await refusals(
        sessions, pid
    )

    # others' scores stay hidden until one's own is in
    r = await chair.get(f"/selections/{pid}/scoring/interview/{code['a1']}")
    assert r.status_code == 403 and "Nilai penilai lain baru dapat dilihat" in r.text
    for who, given in ((chair, {"a1": 90, "a2": 85, "a3": 80}), (m1, {"a1": 88, "a2": 82})):
        await who.get(f"/selections/{pid}/scoring")
        for aid, score in given.items():
            r = await who.post(
                f"/selections/{pid}/scores",
                {"component": "interview", "code": code[aid], "score": str(score)}
                | {"request_id": who.request_id()},
            )
            assert "Nilai Anda telah dicatat dan dikunci." in r.text, r.text
    r = await chair.get(f"/selections/{pid}/scoring/interview/{code['a1']}")
    assert r.status_code == 200 and "m1" in r.text and "88" in r.text
    await chair.get(f"/selections/{pid}/scoring")
    r = await chair.post(
        f"/selections/{pid}/scores",
        {
            "component": "interview",
            "code": code["a1"],
            "score": "95",
            "request_id": chair.request_id(),
        },
    )
    assert r.status_code == 422 and "dikunci" in field_error(r.text)
    r = await chair.post(
        f"/selections/{pid}/components/interview/close", {"request_id": chair.request_id()}
    )
    assert "Komponen telah ditutup" in r.text, r.text
    await setup.until(http, settings, pid, lambda b: b["stage"] == "shortlist")

    # ---- plenary (m1 is recused: a conflict with a shortlisted name), review, appointment ---------
    for sub in ("chair", "secretary", "m2"):
        member = await person(api, "selection_committee", sub, sub)
        await member.get(f"/selections/{pid}/decision")
        r = await member.post(
            f"/selections/{pid}/plenary/votes",
            {"approve": "yes", "request_id": member.request_id()},
        )
        assert "Suara Anda telah dicatat." in r.text, r.text
    page = await m1.get(f"/selections/{pid}/decision")
    assert "Berikan suara saya" not in page.text and "m1" in page.text
    await chair.get(f"/selections/{pid}/decision")
    r = await chair.post(f"/selections/{pid}/plenary/close", {"request_id": chair.request_id()})
    assert "Rapat pleno telah ditutup." in r.text, r.text
    sel = await setup.until(http, settings, pid, lambda b: b["shortlist_review_id"] is not None)
    await setup.approve_review(http, settings, sel["shortlist_review_id"])
    await setup.until(http, settings, pid, lambda b: b["stage"] == "appointment")

    ppk = await person(api, "appointing_authority", "ppk-1", "Pak PPK")
    page = await ppk.get(f"/selections/{pid}/decision")
    assert "Tetapkan salah satu dari tiga nama" in page.text and "Pelamar 1" in page.text
    r = await ppk.post(
        f"/selections/{pid}/appointment",
        {"applicant_id": "a4", "reason": "x", "request_id": ppk.request_id()},
    )
    assert r.status_code in (403, 409, 422), r.text
    assert 'id="e-applicant_id-appoint"' in r.text
    r = await ppk.post(
        f"/selections/{pid}/appointment",
        {"applicant_id": "a1", "reason": "nilai tertinggi", "request_id": ppk.request_id()},
    )
    assert "Penetapan telah dicatat." in r.text, r.text
    await setup.until(http, settings, pid, lambda b: b["stage"] == "completed")

    # ---- the public reads every stage's results, without signing in --------------------------------
    anyone = browser(api)
    landing = await anyone.get("/")
    assert f"/public/selections/{pid}" in landing.text
    public = await anyone.get(f"/public/selections/{pid}")
    for title in ("Pengumuman lowongan", "Hasil seleksi administrasi", "Hasil: Wawancara",
                  "Peringkat nilai akhir", "Penetapan"):  # fmt: skip
        assert title in public.text, title
    assert "lanjut" in public.text and "tidak lanjut" in public.text
    assert "197601" not in public.text and "1976-0" not in public.text

    # ---- every selection page, cold, within the budget ---------------------------------------------
    base = f"/selections/{pid}"
    for who, url in [(hr, "/selections"), (anyone, f"/public/selections/{pid}")] + [
        (chair, base + tail)
        for tail in ("", "/planning", "/applicants", "/screening", "/scoring", "/decision")
    ]:
        size = await cold_bytes(who.http, url)
        assert size <= BUDGET, (url, size)
