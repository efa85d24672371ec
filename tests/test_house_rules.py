"""House rules of issue 13 that import-linter and ruff cannot see: one of each shared helper, small modules.

Ratchets: each rule's allow-list names today's offenders, one per line. Whoever removes an offender deletes its
line in the same commit (a listed file that no longer offends fails the test, so a line cannot be forgotten);
a new offender fails the test — use the shared helper named in the rule instead of listing your file.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 500


def _modules(*, tests: bool) -> dict[str, str]:
    """Source of the project's Python modules (migrations excluded): app code, or tests (tests/ and */tests/)."""
    found = {}
    for path in [*ROOT.glob("lachan/**/*.py"), *ROOT.glob("tests/**/*.py")]:
        name = path.relative_to(ROOT).as_posix()
        in_tests = name.startswith("tests/") or "/tests/" in name
        if "/migrations/" in name or in_tests != tests or name == "tests/test_house_rules.py":
            continue
        found[name] = path.read_text(encoding="utf-8")
    return found


# Modules over MAX_LINES lines today: each is split along its seams (PLAN13 B.2).
LARGE_MODULES = {
    "lachan/simulate/bench_situation.py",
}


def test_modules_are_small():
    lines = {name: len(text.splitlines()) for name, text in _modules(tests=False).items()}
    too_large = sorted(name for name, n in lines.items() if n > MAX_LINES and name not in LARGE_MODULES)
    assert too_large == [], f"modules over {MAX_LINES} lines: split them along their seams"
    stale = sorted(name for name in LARGE_MODULES if lines.get(name, 0) <= MAX_LINES)
    assert stale == [], "these are small now: delete their lines from LARGE_MODULES"


# rule: (pattern, tests or app code, where the one helper lives (exempt, fnmatch-style), the shared helper, allowed)
RULES = {
    "error_schema": (r"class ErrorOut\(", False, ("lachan/core/schemas.py",), "core.schemas.ErrorOut", set()),
    "pdf_fonts": (r"registerFont\(", False, ("lachan/core/pdf.py",), "core.pdf.fonts", set()),
    "parsers": (r"^def _(text|clean_text|uuid|is_uuid|date|parse_date)\(", False, (),
                "core.parsers (text_field, uuid_or_none, day_field) and core.dates.day_parse", {
        "lachan/people/services.py",
        "lachan/risk/lockdowns/services.py",
        "lachan/venues/logbooks/rows.py",
    }),
    "phones": (r"OLD_MOBILE_PREFIXES|_OLD_PREFIXES|0\[35789\]", False, ("lachan/core/phones.py",),
               "core.phones.phone_parse", set()),
    "periodic_jobs": (r"\bperiodic\(", False, ("lachan/core/scheduler.py", "lachan/*/scheduled.py"),
                      "a scheduled.py module in the app (core.scheduler.autodiscover)", set()),
    "hook_lists": (r"^_[a-z_]+: list\[.*Hook|def on_[a-z_]+\(func", False, (),
                   "a Django signal (or a registry for data asked of a higher layer)", set()),
    "table_readers": (r"load_workbook\(|csv\.reader\(", False, ("lachan/core/tables.py",), "core.tables", set()),
    "excel_writers": (r"Workbook\(", False, ("lachan/core/exports.py",), "core.exports", set()),
    "require_perm": (r"def require_perm\(", False, (),
                     "require_perm = accounts.actors.permission_check(<domain code>)", set()),
    "hand_built_people": (r"\bPerson\.objects\.create\(", True, (),
                          "PersonFactory (lachan/people/tests/factories.py)", {
        "lachan/core/tests/test_workers.py",
        "lachan/labs/tests/lookup_fixtures.py",
        "lachan/labs/tests/results_fixtures.py",
        "lachan/labs/tests/sampling_fixtures.py",
        "lachan/labs/tests/test_advice.py",
        "lachan/labs/tests/test_dashboard.py",
        "lachan/labs/tests/test_dashboard_stats.py",
        "lachan/quarantine/tests/monitoring_fixtures.py",
        "lachan/quarantine/tests/orders_fixtures.py",
        "lachan/quarantine/tests/test_orders_services.py",
        "lachan/quarantine/tests/test_unit_labels.py",
        "lachan/situation/tests/test_map.py",
        "lachan/situation/tests/test_operations.py",
        "lachan/tracing/tests/conftest.py",
        "lachan/venues/tests/conftest.py",
        "lachan/venues/tests/test_checkin_batch.py",
        "lachan/venues/tests/test_checkin_fast_path.py",
        "lachan/venues/tests/test_checkins.py",
        "lachan/venues/tests/test_logbook.py",
        "lachan/venues/tests/test_logbook_review.py",
        "lachan/venues/tests/test_venue_size.py",
        "lachan/venues/tests/test_venues_api.py",
        "lachan/workflows/tests/test_case_confirm_page.py",
        "lachan/workflows/tests/test_policies.py",
        "lachan/workflows/tests/test_retention.py",
        "lachan/workflows/tests/test_risk_levels.py",
        "lachan/workflows/tests/test_unit_labels.py",
        "tests/browser/test_chain.py",
        "tests/browser/test_checkin_isolation.py",
        "tests/browser/test_clusters.py",
        "tests/browser/test_jurisdictions.py",
        "tests/browser/test_labs_results_online.py",
        "tests/browser/test_labs_sampling.py",
        "tests/browser/test_map.py",
        "tests/browser/test_quarantine_orders.py",
        "tests/browser/test_risk_pages.py",
        "tests/browser/test_tracing.py",
        "tests/browser/test_venue_logbooks.py",
        "tests/browser/test_venue_size.py",
        "tests/test_bad_input.py",
        "tests/test_page_fuzz.py",
    }),
    "star_imports": (r"^from \S+ import \*", True, (), "fixtures by name (conftest.py or explicit imports)", {
        "lachan/labs/tests/test_import_files.py",
        "lachan/labs/tests/test_lookup.py",
        "lachan/labs/tests/test_results_services.py",
        "lachan/labs/tests/test_results_telling.py",
        "lachan/labs/tests/test_sampling_api.py",
        "lachan/labs/tests/test_sampling_selectors.py",
        "lachan/labs/tests/test_sampling_services.py",
        "lachan/labs/tests/test_sampling_views.py",
        "lachan/labs/tests/test_slip.py",
        "lachan/quarantine/tests/test_alerts.py",
        "lachan/quarantine/tests/test_monitoring_api.py",
        "lachan/quarantine/tests/test_monitoring_services.py",
        "lachan/quarantine/tests/test_monitoring_views.py",
        "lachan/quarantine/tests/test_orders_api.py",
        "lachan/quarantine/tests/test_orders_services.py",
        "lachan/quarantine/tests/test_orders_telling.py",
        "lachan/quarantine/tests/test_orders_views.py",
        "lachan/quarantine/tests/test_unit_labels.py",
        "lachan/workflows/tests/test_case_isolation.py",
        "lachan/workflows/tests/test_checkin_isolation.py",
        "lachan/workflows/tests/test_lab_results.py",
        "lachan/workflows/tests/test_lab_results_pages_api.py",
        "lachan/workflows/tests/test_lab_unreceived_tubes.py",
        "lachan/workflows/tests/test_quarantine_orders.py",
        "lachan/workflows/tests/test_unit_labels.py",
        "tests/browser/test_labs_results_import.py",
        "tests/test_fail_closed.py",
    }),
}


def _exempt(name: str, patterns: tuple[str, ...]) -> bool:
    return any(Path(name).match(pattern) for pattern in patterns)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_one_helper_each(rule):
    pattern, tests, exempt, helper, allowed = RULES[rule]
    regex = re.compile(pattern, re.MULTILINE)
    offending = {name for name, text in _modules(tests=tests).items()
                 if not _exempt(name, exempt) and regex.search(text)}
    assert sorted(offending - allowed) == [], f"{rule}: use {helper}"
    assert sorted(allowed - offending) == [], f"{rule}: these no longer offend, delete their lines from RULES"


# django-ninja reads dotted aliases (Field(alias="person.full_name")). The resolve_* methods left compute a value or
# walk a nullable relation to a field the OpenAPI document lists as required (an alias would need a default, and the
# field would stop being required): a new one must be one of those.
MAX_RESOLVERS = 35


def test_resolvers_do_not_increase():
    count = sum(len(re.findall(r"def resolve_", text)) for text in _modules(tests=False).values())
    assert count <= MAX_RESOLVERS, "use a dotted alias instead of a resolve_* method (or lower MAX_RESOLVERS)"
