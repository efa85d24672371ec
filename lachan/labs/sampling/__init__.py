"""Sampling: campaigns, sites, tube codes, registering samples and their swabs, receiving and rejecting
tubes, labels (PLAN13 B.2)."""

from .labels import (
    Label,
    label_of,
    labels_pdf,
)
from .registering import (
    SampleIn,
    SwabIn,
    code_prefix,
    codes_reserve,
    people_resolve,
    person_label,
    sample_codes_generate,
    sample_register,
    samples_register_many,
)
from .selectors import (
    RoundCounts,
    StatusStep,
    SwabRows,
    age_hours,
    campaign_get,
    campaign_list,
    campaign_rounds,
    campaign_sites,
    campaign_units,
    campaigns_in_scope,
    lab_queue,
    lab_queue_counts,
    laboratories,
    people_by_ids,
    person_candidates,
    query_is_identifier,
    sample_get,
    sample_history,
    sample_list,
    sample_swabs,
    samples_by_ids,
    samples_in_scope,
    site_communes,
    site_get,
    site_managed_by,
)
from .services import (
    Received,
    campaign_create,
    campaign_next_round,
    campaign_update,
    code_check,
    code_normalize,
    parse_codes,
    sample_reject,
    samples_receive,
    site_create,
    site_update,
)

__all__ = [
    "code_normalize", "code_check", "parse_codes", "campaign_create", "campaign_update",
    "campaign_next_round", "site_create", "site_update", "Received", "samples_receive", "sample_reject",
    "code_prefix", "sample_codes_generate", "codes_reserve", "SwabIn", "SampleIn", "person_label",
    "people_resolve", "sample_register", "samples_register_many", "campaigns_in_scope", "campaign_list",
    "campaign_get", "campaign_units", "site_communes", "RoundCounts", "campaign_rounds", "campaign_sites",
    "site_get", "site_managed_by", "laboratories", "samples_in_scope", "sample_list", "sample_get",
    "samples_by_ids", "SwabRows", "sample_swabs", "StatusStep", "sample_history", "lab_queue",
    "lab_queue_counts", "age_hours", "person_candidates", "query_is_identifier", "people_by_ids", "Label",
    "label_of", "labels_pdf",
]
