"""Security headers, including a Content-Security-Policy the pages satisfy (no inline code), and
the proxies whose X-Forwarded-* headers are believed."""
from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
#: the one page that shows a mail's HTML, in an `<iframe sandbox srcdoc>`: the frame runs under
#: the page's policy and a mail's styles are inline (style attributes, a <style> block), so this
#: page lets inline styles apply; scripts stay forbidden, and the sandbox forbids them too
MAIL_PREVIEW_POLICY = CONTENT_SECURITY_POLICY.replace("style-src 'self'",
                                                      "style-src 'self' 'unsafe-inline'")


def init_security(app: Flask) -> None:
    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def trust_proxies(app: Flask) -> None:
    """Take the client's address, scheme and host from the TRUSTED_PROXIES nearest proxies."""
    # Each proxy appends the address it saw to X-Forwarded-For: the n-th value from the end is
    # what the outermost trusted one saw, anything before it the client's own writing. With no
    # trusted proxy the headers are ignored and the peer is the client.
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops < 0:
        raise RuntimeError(f"TRUSTED_PROXIES must be 0 or more, not {hops}.")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
