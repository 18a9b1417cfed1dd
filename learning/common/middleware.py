"""Makes the request being served known to code that is not handed it (see learning.common.models), and refuses an
address no view can mean."""

from django.core.exceptions import BadRequest

from learning.common.models import current_request


class PortalSettingsMiddleware:
    """Makes the request being served known to portal_settings()."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)


class RefuseNulMiddleware:
    """A NUL character can mean nothing here, and PostgreSQL refuses it in any text it is handed. In the address
    (`%00`, in the path or the query) the request is answered "bad request" before any view sees it, rather than
    with a server error wherever a value reaches a query; a cookie holding one (a session id, say) is dropped
    before the session or the CSRF check reads it, as if it had not been sent."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, value in list(request.COOKIES.items()):
            if "\x00" in name or "\x00" in value:
                del request.COOKIES[name]
        words = [request.path, *(word for key, values in request.GET.lists() for word in (key, *values))]
        if any("\x00" in word for word in words):
            raise BadRequest("A NUL character in the address.")
        return self.get_response(request)
