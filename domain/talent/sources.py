"""Where each number of the talent-management rulebook comes from.

Tags follow /work/shared/domain-rules.md: [S#] is a source listed there, [GK] is general knowledge
that was not confirmed and must be checked before relying on it. ``TalentRulebook`` refuses a
rulebook without a source for every number (``domain.talent.rulebook.NUMBERS``).

The 2025 formula is the weakest link: domain-rules §3.2 has it only from an unofficial summary of a
recorded BKN briefing [S48]. It is kept as ONE versioned table (``formula``) whose source says so,
so an agency pins a corrected version (a new rulebook version) without a code change.

The box numbering is the other weak link. BKN-TM-2025 numbered the boxes along the diagonals
([GK], :data:`BOX_NUMBERING`); every source found since that numbers them numbers them by rows of
performance (:data:`BOX_NUMBERING_2025_2`, cited by address: they are not in domain-rules' list).
BKN-TM-2025.2 carries that numbering for new reviews; BKN-TM-2025 keeps its own, so the reviews
pinned to it keep their boxes, with a note that it was superseded.
"""

from __future__ import annotations

FORMULA_2025_CAVEAT = (
    "LOW CONFIDENCE: 50% performance + 50% potential; performance 60% main / 40% supporting; "
    "potential 40% competency / 25% potential / 20% qualification / 15% integrity. Taken from an "
    "unofficial summary of a recorded BKN briefing on the 2025 talent-management decision "
    "(summarytube.com, 'Sosialisasi Sistem Manajemen Talenta ASN (SIMATA ASN)') [S48], not from "
    "the decision's text. Verify against Kepka BKN 411/2025 and its annexes before relying on it; "
    "pin a corrected rulebook version if it differs."
)

BOX_NUMBERING_AS_FIRST_SOURCED = (
    "Axes: performance on Y, potential on X [S48]; boxes 7, 8 and 9 are the promotion pool [S48] "
    "(also cikalpedia.id 30 Sep 2025, Kuningan's presentation to BKN: 'kotak 7, 8, dan 9 dihuni ASN "
    "dengan performa dan potensi tinggi'); box 9 is the best (rakyat.news, 'yang masuk kotak ke-9 "
    "itulah yang terbaik'). [GK] UNCONFIRMED: which combination is which of boxes 1-8. This table "
    "numbers them along the diagonals as PermenPANRB 3/2020's 9-box is commonly drawn (1 low/low, "
    "2 low perf./medium pot., 3 medium perf./low pot., 4 low perf./high pot., 5 medium/medium, "
    "6 high perf./low pot., 7 medium perf./high pot., 8 high perf./medium pot., 9 high/high); no "
    "public source reachable from here states it. Pin a corrected version if the annex differs."
)

BOX_NUMBERING = (
    "SUPERSEDED for new reviews by BKN-TM-2025.2, kept unchanged so that the reviews pinned to "
    "BKN-TM-2025 keep their boxes: every source found since that numbers the boxes numbers them "
    "row by row of performance (high: 4, 7, 9; medium: 2, 5, 8; low: 1, 3, 6, potential low to "
    "high), not along the diagonals, so here boxes 1-6 stand for other cells and 7 and 8 swap (7 "
    "is medium perf./high pot. here, high perf./medium pot. there); the pool, 7-9, is the same "
    "three cells and 9 the same cell. See BKN-TM-2025.2's source of the box numbers. As first "
    "sourced: " + BOX_NUMBERING_AS_FIRST_SOURCED
)

BOX_NUMBERING_2025_2 = (
    "UNCONFIRMED against the annex: consistent across 5 independent third-party sources (3 or "
    "more number all nine boxes, 2 state the axes or the pool), none of them the regulation's "
    "annex, which could not be reached from here; check PermenPANRB 3/2020's Lampiran and Kepka "
    "BKN 411/2025 and pin a corrected version if they differ. Performance (kinerja) is the Y axis, "
    "potential (potensial) the X axis; by rows, potential low/medium/high: performance above "
    "expectations (di atas ekspektasi, high) 4, 7, 9; as expected (sesuai, medium) 2, 5, 8; below "
    "(di bawah, low) 1, 3, 6. So 1 low perf./low pot., 2 medium/low, 3 low/medium, 4 high/low, "
    "5 medium/medium, 6 low/high, 7 high/medium, 8 medium/high, 9 high/high (performance first). "
    "(1) github.com/Praz-715/pupr-argo-dev, lib/scoring/konstanta.ts: 'Matriks 9 Kotak Manajemen "
    "Talenta ASN (Lampiran A) - [kategori Y][kategori X]', rows Di Atas 4, 7, 9 / Sesuai 2, 5, 8 / "
    "Di Bawah 1, 3, 6 over Rendah, Menengah, Tinggi (its 'Lampiran A' is an annex of the project's "
    "own working document, not the regulation's); its doc/KERANGKA TALENT POOL.md: 'Nilai Kinerja "
    "sebagai Sumbu Y dan Nilai Potensial sebagai Sumbu X'. (2) Several (at least two) independent "
    "Indonesian civil-service HR codebases (PHP getBoxLabel functions, 'kotakpetatalentaketerangan' tables; "
    "their repositories were not recorded) label the boxes '4 => Kinerja di atas ekspektasi dan "
    "potensial rendah', '6 => Kinerja di bawah ekspektasi dan potensial tinggi', '7 => Kinerja di "
    "atas ekspektasi dan potensial menengah', '8 => Kinerja sesuai ekspektasi dan potensial "
    "tinggi', with follow-ups per box (9 promoted and retained, succession group; 6 performance "
    "counselling; 4 rotation). (3) cikalpedia.id/manajemen-talenta-asn-akhiri-praktik-like-and-"
    "dislike (3 Oct 2025, Kuningan district HR): 'Sumbu X menggambarkan potensi ... Sumbu Y "
    "menilai kinerja', 'kotak 7, 8, dan 9 dihuni ASN dengan performa dan potensi tinggi' (axes and "
    "pool). (4) A BKN regional office's knowledge base, copied in github.com/Collopus23/KBS-CORPU-"
    "VERSIONCLONE, resources/views/kms/artikel2.blade.php, paraphrasing PermenPANRB 3/2020: the "
    "agency succession group comes from boxes 9, 8 and 7, the national group from box 9 (pool "
    "only; its matrix is an image). The regulation: PermenPANRB 20/2025, amending 3/2020 "
    "(pasal.id/en/peraturan/permen/permenpanrb-no-20-tahun-2025), Pasal 17 names the categories "
    "(di atas / sesuai / di bawah ekspektasi; tinggi, menengah, rendah) but no box numbers. One "
    "outlier, a BKN Hackathon 2024 project claiming that asik.menpan.go.id numbers left to right "
    "and bottom to top with potential as rows, is supported by nothing else and not followed. "
    "Replaces BKN-TM-2025's diagonal numbering ([GK], no source): 7 and 8 swap cells, 1-6 move; "
    "the pool (7, 8, 9) is the same three cells and 9 the same cell."
)

BKN_TM_2025: dict[str, str] = {
    "formula": FORMULA_2025_CAVEAT,
    "rating_scores": "[GK] SKP predicates (PermenPANRB 6/2022) on a 0-100 scale: Very Good 100, "
    "Good 80, Needs Improvement 60, Poor 40, Very Poor 20; no published scale found",
    "rating_years": "[GK] the last two yearly ratings before the cut-off, as rank promotion reads "
    "performance (PP 99/2000, domain-rules §3.1); the briefing [S48] names the e-Kinerja predicate",
    "supporting_points": "[GK] awards of the last 5 years and team decrees count as supporting "
    "performance [S48]; 25 points an award, 10 a team assignment, at most 100, are Meritflow's",
    "qualification_points": "[GK] qualification is 20% of potential [S48]; points by education "
    "level (S3 100 … SD 10) are Meritflow's configuration",
    "integrity_points": "[GK] integrity/morality is 15% of potential and reads the disciplinary "
    "record [S48]; no sanction in 5 years 100, light 75, medium 50, heavy 0 (the worst counts)",
    "competency_validity_years": "Perban BKN 26/2019 Pasal 29(4): assessment results valid 3 "
    "years [S27] (⚠ 2 years in [S28]); an older result counts as none",
    "levels": "[GK] an axis score of 80 or more is high, 60 or more medium, below 60 low; the "
    "thresholds of the 2025 decision were not found",
    "boxes": BOX_NUMBERING,
    "pool_boxes": "Boxes 7, 8 and 9 are the promotion pool [S48]",
    "successor_box": "KASN: under talent management the successor is the top-ranked person in "
    "box 9 [S45]",
    "justification_min_chars": "[GK] Meritflow's rule: a calibration move or an answer to an "
    "objection says why in at least 20 characters; no regulation sets a length",
    "objection_window": "[GK] no talent-review objection rule found; 5 working days, after the "
    "CASN practice of an objection window after each announcement (domain-rules §4, §7)",
    "answer_within": "[GK] the committee answers within 10 working days (CASN: 7 days, §4)",
    "successors_per_post": "[GK] three successors per critical post, as the three names of an "
    "open selection (UU 5/2014 Pasal 113 [S2]); succession groups from talent management are a "
    "merit-index indicator (PP 11/2017 Pasal 134(2)) [S49]",
    "readiness": "[GK] ready now: box 9 meeting JPT eligibility (§1.2) [S45,S26]; ready in 1-2 "
    "years: box 9 with gaps, box 8, or box 7 meeting eligibility; later otherwise",
    "competency_target": "[GK] a competency result of 80 meets the JPT standard ('meets' bands "
    "from 68 [S66c]); below it the IDP names the gap",
    "required_training": "PKN II for JPT Pratama, PKN I for JPT Madya [S44]; [GK] PKN I for Utama",
    "merit_categories": "Talent management may replace open selection where the merit index is "
    "Good or Very Good and the oversight body approved [S45]; bands per Perkom KASN 9/2019 [GK]",
    "merit_valid_years": "[GK] a merit-index evaluation counts for 2 years (BKN evaluates yearly, "
    "e.g. 2024 [S50]); older, the approval is not current",
    "approval_valid_years": "[GK] an approval without an end date counts for 3 years; agencies must "
    "report periodically to keep it (UU 5/2014 Pasal 111 [S2,S21])",
    "eligibility_rulebook": "JPT eligibility of PP 11/2017 Pasal 107 as amended by PP 17/2020 "
    "[S26,S26b], as the open-selection rulebook holds it",
    "successor_review": "[GK] the oversight body reviews the proposed successor as it reviews a "
    "selection's shortlist (procedure, not the person [S14]): reminder after 5, due after 10 "
    "working days",
}

# BKN-TM-2025.2: BKN-TM-2025's numbers but the box numbering; what reads box numbers says so.
BKN_TM_2025_2 = BKN_TM_2025 | {
    "boxes": BOX_NUMBERING_2025_2,
    "pool_boxes": "Boxes 7, 8 and 9 are the promotion pool [S48]; the agency succession group "
    "comes from boxes 9, 8 and 7 (the BKN knowledge-base copy named in the source of the boxes); "
    "the same three cells as under BKN-TM-2025's numbering",
    "successor_box": BKN_TM_2025["successor_box"] + "; box 9 (high/high) is the same cell under "
    "both numberings",
    "readiness": BKN_TM_2025["readiness"] + ". As in BKN-TM-2025, by box number: box 8 is now "
    "medium performance/high potential and box 7 high performance/medium potential (the reverse "
    "of BKN-TM-2025's cells)",
}

_TRAINING_WINDOWS = {
    "objection_window": "training: 5 minutes stand for the 5 working days",
    "answer_within": "training: 10 minutes stand for the 10 working days",
    "successor_review": "training: the legal reminder and due date, in minutes",
}

TRAINING = BKN_TM_2025 | _TRAINING_WINDOWS
TRAINING_2025_2 = BKN_TM_2025_2 | _TRAINING_WINDOWS
