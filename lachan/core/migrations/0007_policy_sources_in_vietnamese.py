"""The seeded policy versions' legal sources were developer notes in English ("DESIGN §5 … ? exact dates"), shown to
officials on the policy pages and on every order. They now name the text in force, in Vietnamese. Only a source still
as seeded is changed (one an official edited is kept); reversing puts the seeded notes back."""

from django.db import migrations

# (kind, version) → (as seeded, in Vietnamese)
SOURCES = {
    ("labs", "3486/QĐ-BYT"): (
        "Decision 3486/QĐ-BYT: pools of 2–10 swabs, smaller where prevalence is higher",
        "Quyết định 3486/QĐ-BYT: gộp 2–10 mẫu, gộp ít hơn nơi tỷ lệ nhiễm cao hơn"),
    ("quarantine", "2020-03 (14 days at home)"): (
        "DESIGN §5: F1 14 days at home (03/2020). ? first day, tests on days 1 and 14, isolation of cases",
        "Hướng dẫn của Bộ Y tế (03/2020): F1 cách ly 14 ngày tại nhà, xét nghiệm ngày 1 và ngày 14"),
    ("quarantine", "2021-05 (21 days facility + 7 home)"): (
        "DESIGN §5: 21 days in a facility then 7 at home, tests days 1, 14, 20 (05/2021). ? exact dates, isolation",
        "Hướng dẫn của Bộ Y tế (05/2021): cách ly tập trung 21 ngày rồi 7 ngày tại nhà, xét nghiệm ngày 1, 14, 20"),
    ("quarantine", "2021-07 (14 days facility + 14 home)"): (
        "DESIGN §5: 14 days in a facility + 14 at home, tests days 1, 7, 14 (07/2021). ? exact dates, isolation",
        "Hướng dẫn của Bộ Y tế (07/2021): cách ly tập trung 14 ngày và 14 ngày tại nhà, xét nghiệm ngày 1, 7, 14"),
    ("quarantine", "11042/BYT-DP (12/2021)"): (
        "Official Dispatch 11042/BYT-DP (12/2021), DESIGN §5: vaccinated or recovered 7 days at home, tests 1 and 7; "
        "others 14 days, tests 1, 7, 14. ? others at home, isolation of cases",
        "Công văn 11042/BYT-DP (12/2021): người đã tiêm đủ liều hoặc đã khỏi bệnh cách ly 7 ngày tại nhà, xét nghiệm "
        "ngày 1 và 7; người khác 14 ngày, xét nghiệm ngày 1, 7, 14"),
    ("quarantine", "2022-02 (5 or 7 days)"): (
        "DESIGN §5: 5 days (vaccinated or recovered) or 7 (02/2022). ? the dispatch number, tests on the last day, "
        "isolation of cases",
        "Hướng dẫn của Bộ Y tế (02/2022): cách ly 5 ngày (đã tiêm đủ liều hoặc đã khỏi bệnh) hoặc 7 ngày"),
    ("quarantine", "1909/BYT-DP (04/2022)"): (
        "DESIGN §5: no quarantine of contacts, 10 days of precautions (04/2022). ? first day as the tracing policy "
        "1909/BYT-DP, isolation of cases 7 days",
        "Công văn 1909/BYT-DP (04/2022): không cách ly người tiếp xúc gần, tự theo dõi sức khỏe 10 ngày; ca bệnh "
        "cách ly 7 ngày"),
    ("risk", "2686/QĐ-BCĐQG (05/2021)"): (
        "Decision 2686/QĐ-BCĐQG, DESIGN §5: clusters of unknown source or in industrial parks, schools, supermarkets "
        "→ 4; untraceable case or bordering a 4 → 3; known-source cases → 2. ? 14-day window, 3 km, district shares",
        "Quyết định 2686/QĐ-BCĐQG: ổ dịch không rõ nguồn lây hoặc tại khu công nghiệp, trường học, siêu thị → cấp 4; "
        "ca không rõ nguồn lây hoặc giáp vùng cấp 4 → cấp 3; ca rõ nguồn lây → cấp 2"),
    ("risk", "128/NQ-CP + 4800/QĐ-BYT (10/2021)"): (
        "Resolution 128/NQ-CP, Decision 4800/QĐ-BYT, DESIGN §5 (published cells certain). ? cells 20–<50 not met, "
        "50–<150, ≥150 not met; capacity: not lowered vs the week before; districts and province on own totals",
        "Nghị quyết 128/NQ-CP, Quyết định 4800/QĐ-BYT: cấp độ dịch theo số ca mắc mới trong cộng đồng, độ bao phủ "
        "vắc xin và khả năng thu dung, điều trị"),
    ("risk", "218/QĐ-BYT (01/2022) ?"): (
        "Decision 218/QĐ-BYT (replaced 4800). ? only ≥ 600 → 4 and coverage 75 % / 90 % from a press report; other "
        "bands, age groups and capacity rule unverified; oxygen and death components not modelled",
        "Quyết định 218/QĐ-BYT (thay Quyết định 4800/QĐ-BYT): cấp độ dịch theo số ca mắc mới, độ bao phủ vắc xin "
        "75 % / 90 % — các ngưỡng khác chưa đối chiếu được với văn bản gốc"),
    ("tracing", "2021-05 (15 min / 2 m)"): (
        "Ministry of Health guidance in force 05–11/2021 (DESIGN §5)",
        "Hướng dẫn của Bộ Y tế áp dụng 05–11/2021: tiếp xúc gần trong 2 m từ 15 phút"),
    ("tracing", "11042/BYT-DP"): ("Official Dispatch 11042/BYT-DP (12/2021)", "Công văn 11042/BYT-DP (12/2021)"),
    ("tracing", "1909/BYT-DP"): ("Official Dispatch 1909/BYT-DP (04/2022)", "Công văn 1909/BYT-DP (04/2022)"),
}


def _apply(apps, frm: int, to: int) -> None:
    Policy = apps.get_model("core", "Policy")
    for (kind, version), texts in SOURCES.items():
        Policy.objects.filter(kind=kind, version=version, source=texts[frm]).update(source=texts[to])


def forwards(apps, schema_editor):
    _apply(apps, 0, 1)


def backwards(apps, schema_editor):
    _apply(apps, 1, 0)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_cache_entry"),
        ("labs", "0003_seed_policy_and_templates"),
        ("quarantine", "0002_seed_policies"),
        ("risk", "0002_seed_policies"),
        ("tracing", "0002_seed_policies_and_templates"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
