"""Signals of the labs domain, for the layers above to connect to (lachan.workflows.receivers): what other parts
of the platform do when the laboratory registers a sample, without the laboratory knowing them."""

from django.dispatch import Signal

# Sent inside the registration's transaction with Signal.send, so a receiver's exception undoes the sample too.
# Receivers get: sample (labs.Sample), swabs (list[labs.Swab]). E.g. the quarantine workflow marks a person's
# required test sampled.
sample_registered = Signal()
