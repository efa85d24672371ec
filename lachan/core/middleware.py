from . import request_context


def client_ip(request) -> str:
    # Behind a reverse proxy, set it to overwrite REMOTE_ADDR (docs/deployment.md); never trust the header here.
    return request.META.get("REMOTE_ADDR", "")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ctx = request_context.RequestContext(
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            path=request.path[:300],
            channel="api" if request.path.startswith("/api/") else "web",
        )
        token = request_context.activate(ctx)
        try:
            return self.get_response(request)
        finally:
            request_context.deactivate(token)
