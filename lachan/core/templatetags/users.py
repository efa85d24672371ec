from django import template

register = template.Library()


@register.filter
def who(user, empty: str = "—") -> str:
    """{{ e.by|who }}: who did it, by full name or else user name; "—" for nobody (a system job, a deleted account).
    The pattern it replaces, `e.by.get_full_name|default:e.by.username`, is a server error when e.by is None: a
    filter's argument that cannot be resolved raises VariableDoesNotExist."""
    if not user:
        return empty
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full or (user.get_username() if hasattr(user, "get_username") else str(user)) or empty
