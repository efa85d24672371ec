"""Results inside the laboratory: one sample's result by hand, result files (imports), release and telling
the people, re-tests (PLAN13 B.2). What results set off (cases, tracing) is lachan.workflows.lab_results."""

from .files import (
    Layout,
    cell_text,
    find_header,
    guess_columns,
    headings_of,
    layout_for,
    mapping_save,
    read_table,
    result_words_default,
    word_key,
)
from .imports import (
    AlreadyImported,
    Checked,
    Row,
    already_imported,
    errors_csv,
    import_apply,
    import_check,
    import_laboratory,
    import_refused,
    import_release,
    import_summary_add,
)
from .release import (
    PositiveSwab,
    Released,
    import_notified,
    outcome_for,
    results_notify,
    results_notify_task,
    results_released,
    swabs_link_case,
)
from .selectors import (
    NegativeResult,
    import_get,
    import_list,
    imports_in_scope,
    laboratories_for,
    mapping_get,
    mapping_list,
    negative_results,
    result_sample_get,
    result_sample_swabs,
    retest_swab_get,
    retests_audited,
    retests_due,
)
from .services import (
    SampleFacts,
    facts_of,
    laboratory_problems,
    parse_ct,
    result_correct,
    result_enter,
    result_problems,
    result_release,
    retest_register,
)

__all__ = [
    "SampleFacts", "parse_ct", "result_problems", "laboratory_problems", "facts_of", "result_enter",
    "result_release", "result_correct", "retest_register", "outcome_for", "PositiveSwab", "Released",
    "results_released", "results_notify", "results_notify_task", "import_notified", "swabs_link_case", "word_key",
    "read_table", "Layout", "cell_text", "guess_columns", "find_header", "layout_for", "headings_of",
    "mapping_save", "result_words_default", "AlreadyImported", "errors_csv", "Row", "Checked", "import_check",
    "already_imported", "import_refused", "import_apply", "import_release", "import_summary_add",
    "import_laboratory", "laboratories_for", "result_sample_get", "result_sample_swabs", "imports_in_scope",
    "import_list", "import_get", "mapping_list", "mapping_get", "retests_due", "retests_audited",
    "retest_swab_get", "NegativeResult", "negative_results",
]
