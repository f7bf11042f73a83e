"""Content-Security-Policy for the Wagtail admin.

The public site sends settings.SECURE_CSP (scripts only from the site or with the request's
nonce). The Wagtail admin still renders a few inline scripts (inline panels, date choosers) and
frames its own previews, so /cms-admin/ gets settings.ADMIN_CSP instead. This middleware sits
after Django's ContentSecurityPolicyMiddleware in settings.MIDDLEWARE, so it sees the response
first and marks it the way Django's @csp_override decorator would.
"""

from django.conf import settings


class AdminContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.prefixes = tuple(getattr(settings, "ADMIN_CSP_PATHS", ("/cms-admin/",)))

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(self.prefixes) and not hasattr(response, "_csp_config"):
            response._csp_config = settings.ADMIN_CSP
        return response
