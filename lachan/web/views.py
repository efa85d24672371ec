from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from .navigation import capability


@login_required
def home(request):
    if request.user.is_citizen:
        return redirect("people:mine")
    return render(request, "web/home.html", {})


@login_required
def capability_page(request, slug: str):
    item = capability(slug)
    if item is None or request.user.is_citizen:
        raise Http404
    if item.url:
        return redirect(item.url)
    return render(request, "web/capability.html", {"item": item})
