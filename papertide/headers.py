"""The security headers Django does not send itself (Referrer-Policy, X-Frame-Options and HSTS are its
settings): a Content-Security-Policy that runs only this site's own script files, and a
Permissions-Policy that turns off the browser features no page uses.

script-src 'self' without 'unsafe-inline': an injected <script> or onclick="..." does not run. Every page
script is a file under static/ (JSON-LD data blocks are not run, so they need no exception). style-src
'self' as well: no template writes a style="..." attribute or a <style> element (the map's script
positions its tooltip through the CSSOM, which the policy allows).
"""

from django.conf import settings

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Django's debug pages (DEBUG on, a 500) are made of inline script and style: left unpoliced.
        if not (settings.DEBUG and response.status_code >= 500):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
