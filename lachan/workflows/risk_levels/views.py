"""Risk-level pages that read cases: computing a day's levels on demand (from the levels page) and trying a
province's own rules on a past period (nothing saved; adopting them is lachan.risk.levels.views.policy_adopt)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from lachan.accounts.roles import Perm
from lachan.core.decorators import staff_view
from lachan.core.errors import DomainError
from lachan.risk.levels.forms import ComputeForm, TrialForm, apply_errors
from lachan.risk.levels.views import summary_message, trial_initial, trial_page

from .services import risk_levels_compute, risk_policy_trial


@require_POST
@staff_view(Perm.RISK_EDIT)
def compute(request):
    """Compute a day's levels in the user's jurisdiction now; the summary in a message, back to that day's list."""
    form = ComputeForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("risk:levels")
    on = form.cleaned_data["on"]
    try:
        summary = risk_levels_compute(on=on, by=request.user)
    except DomainError as exc:  # a day in the future, no policy in force, no units loaded
        messages.error(request, str(exc.message))
        return redirect("risk:levels")
    messages.success(request, summary_message(summary))
    return redirect(reverse("risk:levels") + f"?on={on.isoformat()}")


@staff_view(Perm.RISK_EDIT)
def trial(request):
    """The editor prefilled with the rules in force (GET); the rules tried on the period, day by day (POST)."""
    if request.method != "POST":
        return trial_page(request, trial_form=TrialForm(initial=trial_initial(request)))
    form = TrialForm(request.POST)
    result = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = risk_policy_trial(rules=data["rules"], start=data["start"], end=data["end"], by=request.user)
        except DomainError as exc:
            apply_errors(form, exc)
    return trial_page(request, trial_form=form, trial=result, status=200 if result is not None else 400)
