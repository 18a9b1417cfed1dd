"""Makes the request being served known to code that is not handed it (see learning.common.models)."""

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
