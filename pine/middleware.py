"""Headers Django does not set itself, and uploads refused before they are read."""

from django.core.files.uploadhandler import FileUploadHandler, StopUpload

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        # plotly sets inline styles on the charts it draws; scripts are ours only.
        "style-src 'self' 'unsafe-inline'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/docs/"):
            return response  # Swagger UI needs its own inline bootstrap script
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


# Room for a multipart body's other fields and boundaries around the file itself.
UPLOAD_ENVELOPE_BYTES = 64 * 1024


class _RefuseFiles(FileUploadHandler):
    """Stops reading a multipart body at its first file: the fields before it (the CSRF token) are
    read, the file and whatever follows it never are."""

    def new_file(self, *args, **kwargs):
        raise StopUpload(connection_reset=True)

    def receive_data_chunk(self, raw_data, start):  # never reached
        return None

    def file_complete(self, file_size):  # never reached
        return None


class UploadLimitMiddleware:
    """Refuses an upload larger than its view takes before its body is read. A view that takes
    files says how much with ``max_upload_bytes`` (a function of no arguments, so that settings
    apply as they stand). When a request's Content-Length is over that (plus room for the form's
    other fields), ``request.upload_too_large`` is set for the view to answer (a form error, or
    413), and the body is read no further than the first file: the CSRF middleware, which comes
    after this one, still finds its token. Must come before ``CsrfViewMiddleware``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
        limit = getattr(view_class, "max_upload_bytes", None)
        request.upload_too_large = False
        if limit is None or request.method not in ("POST", "PUT", "PATCH"):
            return None
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit() + UPLOAD_ENVELOPE_BYTES:
            request.upload_too_large = True
            request.upload_handlers = [_RefuseFiles(request)]
        return None
