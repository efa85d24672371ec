from .navigation import visible_to


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    current = request.resolver_match.namespace if getattr(request, "resolver_match", None) else ""
    return {"nav_items": visible_to(user), "nav_current": current}
