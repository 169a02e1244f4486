"""/widget.js: the widget's script, which customers' pages load from the snippet on /install/.

A static file (widget/public/widget.js), served by WhiteNoise rather than a view, at two URLs:
- /widget.js (WHITENOISE_ROOT), the URL in the snippet that customers paste once, so it never
  changes: cached for MAX_AGE seconds only, so a new version reaches every site within minutes,
  and revalidated with WhiteNoise's ETag and Last-Modified (taken from the file's size and time
  when the app starts, not from reading it on each request), so an unchanged script costs a 304;
- {% static "widget.js" %} (widget/public/ is a static files directory too): a hashed URL that
  WhiteNoise lets browsers cache for ever, for pages Pivra renders itself.
"""

URL = "/widget.js"
MAX_AGE = 300


def add_headers(headers, path, url):
    """WHITENOISE_ADD_HEADERS_FUNCTION: the stable URL's headers; WhiteNoise's own elsewhere."""
    if url != URL:
        return
    headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    headers["Content-Type"] = "text/javascript; charset=utf-8"  # as ever (WhiteNoise quotes the charset)
    # Loaded by other sites' pages, whatever their embedding policy (WhiteNoise already sends
    # Access-Control-Allow-Origin: *, as the script always has).
    headers["Cross-Origin-Resource-Policy"] = "cross-origin"
