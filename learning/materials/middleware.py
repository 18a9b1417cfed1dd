"""Keeps personal responses out of shared caches."""

from django.utils.cache import patch_cache_control

from learning.materials.entitlement import private_response


class PersonalResponseMiddleware:
    """A response for a signed-in user is personal: `Cache-Control: private` unless its view said otherwise. A view
    or hook that serves something restricted without building the response itself (documents, served by Wagtail's
    view after the entitlement hook) sets `request.private_response`, and the response is also never stored."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "private_response", False):
            private_response(response)
        elif request.user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True)
        return response
