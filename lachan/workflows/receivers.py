"""Where the workflows react to the domains' events: each Django signal a lower layer sends (ADR 0006: events are
signals, data asked of a higher layer goes through a registry) is connected here to the workflow's function, once,
when the app is ready (WorkflowsConfig.ready imports this module; dispatch_uid keeps a second import from
connecting twice)."""

from lachan.labs.signals import sample_registered
from lachan.venues.signals import checkins_recorded

from .checkin_isolation.services import checkins_of_cases
from .quarantine_orders.services import quarantine_tests_sampled

# A swabbed person's quarantine test due is marked sampled with the sample.
sample_registered.connect(quarantine_tests_sampled, dispatch_uid="workflows.quarantine_tests_sampled")

# A confirmed case who checks in somewhere is sent home and the station alerted.
checkins_recorded.connect(checkins_of_cases, dispatch_uid="workflows.checkins_of_cases")
