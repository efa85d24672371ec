"""Signals of the people domain, for the layers above to connect to."""

from django.dispatch import Signal

# Sent (inside the writing transaction) when the commune of residence of some people may have changed: a person's
# commune edited, or another record's links moved onto a person by a merge. Receivers get: person_ids (list).
# The domains that copy a person's commune onto their own rows (cases) bring those rows in step.
person_commune_changed = Signal()
