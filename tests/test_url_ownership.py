"""URL ownership (issue 13, item 1): every page has one owning package, so a newcomer finds a page's code from its
URL name and a new capability cannot slip its pages into another app's urlconf.

- A namespace is declared by one urlconf, and the platform's views it routes come from that urlconf's package (a
  domain app, a workflow's sub-package, lachan.situation, lachan.web); Django's own views (log-out) may be routed.
- A root prefix is included twice only by a domain app and the workflow acting on it (cases/, labs/, quarantine/,
  risk/: kept so that no URL changed when the processes moved to lachan.workflows), and no path is routed twice.
  Every other prefix, and every new capability's, has one owner.

The one exception, listed below: `labresults`, the lab-results workflow's urlconf, also routes the laboratory's own
result pages (lachan.labs.results.views). They move to lachan/labs/results/urls.py, and the workflow's pages to
a namespace of its own, with labs' sub-packages (PLAN13 A5); the coordinator kept the namespace for now, since
renaming it changes reverse names that templates and stored audit rows use."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.urls import URLResolver, get_resolver

SKIPPED_NAMESPACES = {"admin", "api"}  # Django's admin; django-ninja's API (tests/test_openapi_operations.py)
# Root prefixes a domain shares with the workflow acting on it.
SHARED_PREFIXES = {"cases/": "lachan.cases", "labs/": "lachan.labs", "quarantine/": "lachan.quarantine",
                   "risk/": "lachan.risk"}
# (namespace, module of views it routes from another package): each to be removed when it moves.
EXCEPTIONS = {("labresults", "lachan.labs.results.views")}


@dataclass(frozen=True)
class Route:
    path: str
    namespace: str | None
    urlconf: str | None
    view_module: str


def _urlconf(resolver: URLResolver) -> str | None:
    conf = resolver.urlconf_name
    return conf if isinstance(conf, str) else getattr(conf, "__name__", None)


def _routes(patterns, prefix: str = "", namespace: str | None = None, urlconf: str | None = None) -> list[Route]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += _routes(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace,
                             _urlconf(pattern) or urlconf)
        else:
            view = getattr(pattern.callback, "view_class", pattern.callback)
            found.append(Route(prefix + str(pattern.pattern), namespace, urlconf, view.__module__))
    return found


def _platform_routes() -> list[Route]:
    return [route for route in _routes(get_resolver().url_patterns)
            if route.namespace not in SKIPPED_NAMESPACES and (route.urlconf or "").startswith("lachan.")]


def test_a_namespace_routes_the_views_of_its_own_package():
    foreign = set()
    for route in _platform_routes():
        package = route.urlconf.rsplit(".", 1)[0]
        if route.view_module.startswith("lachan.") and not route.view_module.startswith(package + "."):
            foreign.add((route.namespace, route.view_module))
    assert sorted(foreign - EXCEPTIONS) == [], "route a package's views from its own urls.py"
    assert sorted(EXCEPTIONS - foreign) == [], "these moved: delete their lines from EXCEPTIONS"


def test_a_namespace_is_declared_once():
    declared = defaultdict(set)

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace:
                    declared[pattern.namespace].add(_urlconf(pattern))
                walk(pattern.url_patterns)

    walk(get_resolver().url_patterns)
    assert {ns: confs for ns, confs in declared.items() if len(confs) > 1} == {}


def test_a_root_prefix_has_one_owner_or_a_domain_and_its_workflow():
    owners = defaultdict(set)
    for pattern in get_resolver().url_patterns:
        conf = _urlconf(pattern) if isinstance(pattern, URLResolver) else None
        if conf and conf.startswith("lachan."):
            owners[str(pattern.pattern)].add(".".join(conf.split(".")[:2]))
    shared = {prefix: apps for prefix, apps in owners.items() if len(apps) > 1}
    assert shared == {prefix: {domain, "lachan.workflows"} for prefix, domain in SHARED_PREFIXES.items()}


def test_no_path_is_routed_twice():
    by_path = defaultdict(list)
    for route in _platform_routes():
        by_path[route.path].append(route.namespace)
    assert {path: spaces for path, spaces in by_path.items() if len(spaces) > 1} == {}
