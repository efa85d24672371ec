"""What other parts of the platform do when the laboratory registers a sample, without the laboratory knowing
them: a workflow registers a function here (lachan.workflows.apps) and it runs in the registration's transaction,
so a failure undoes the sample too. E.g. the quarantine workflow marks a person's required test sampled."""

from __future__ import annotations

from collections.abc import Callable

SampleHook = Callable[..., object]  # called with sample=Sample, swabs=list[Swab]
_sample_registered: list[SampleHook] = []


def on_sample_registered(func: SampleHook) -> SampleHook:
    if func not in _sample_registered:
        _sample_registered.append(func)
    return func


def sample_registered(*, sample, swabs) -> None:
    for func in list(_sample_registered):
        func(sample=sample, swabs=swabs)
