from django import template

register = template.Library()


@register.filter
def who(account, empty: str = "—") -> str:
    """{{ e.by|who }}: who did it, by full name or else user name; "—" for nobody (a system job, a deleted account).
    It reads nothing, so its argument is not called `user` (tests/test_fail_closed.py walks every `user` parameter).
    The pattern it replaces, `e.by.get_full_name|default:e.by.username`, is a server error when e.by is None: a
    filter's argument that cannot be resolved raises VariableDoesNotExist."""
    if not account:
        return empty
    full = account.get_full_name() if hasattr(account, "get_full_name") else ""
    return full or (account.get_username() if hasattr(account, "get_username") else str(account)) or empty
