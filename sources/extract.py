"""Turn a fetched page into the text a chatbot answers from."""

import re
from html.parser import HTMLParser

# Code, styling, menus and chrome: text a visitor never reads as the page's content.
SKIPPED = {
    "script", "style", "noscript", "template", "svg", "math", "canvas", "iframe", "object",
    "nav", "footer", "aside", "form", "button", "select", "dialog",
}
BLOCKS = {
    "address", "article", "blockquote", "br", "dd", "details", "div", "dl", "dt", "figcaption", "figure",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "ol", "p", "pre", "section",
    "summary", "table", "td", "th", "tr", "ul",
}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def page_text(page):
    """(title, content) of a fetched `Page`: HTML reduced to its readable text, plain text as is."""
    if page.content_type != "text/html":
        return "", page.text
    title, body = html_to_text(page.text)
    return title, "\n\n".join(part for part in (title, body) if part)


def html_to_text(html):
    """(title, text): the page's <title> and its visible text, one block per line."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return _squash(" ".join(parser.title)), _squash_lines("".join(parser.text))


class _TextParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.title, self.text = [], []
        self.in_title = False
        # While skipping, count only the tag that started it: other tags in broken HTML are often
        # left open, and counting them would skip the rest of the page.
        self.skip_tag, self.skip_depth = None, 0

    def handle_starttag(self, tag, attrs):
        if self.skip_tag:
            self.skip_depth += tag == self.skip_tag
        elif tag in VOID:
            self.text.append("\n" if tag in BLOCKS else " ")
        elif tag in SKIPPED or _is_hidden(dict(attrs)):
            self.skip_tag, self.skip_depth = tag, 1
        elif tag == "title":
            self.in_title = not self.title
        elif tag in BLOCKS:
            self.text.append("\n")

    def handle_startendtag(self, tag, attrs):
        if not self.skip_tag and tag in VOID:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if self.skip_tag:
            self.skip_depth -= tag == self.skip_tag
            if not self.skip_depth:
                self.skip_tag = None
        elif tag == "title":
            self.in_title = False
        elif tag in BLOCKS:
            self.text.append("\n")

    def handle_data(self, data):
        if self.skip_tag:
            return
        (self.title if self.in_title else self.text).append(data)


def _is_hidden(attrs):
    return "hidden" in attrs or attrs.get("aria-hidden") == "true" or "display:none" in (attrs.get("style") or "").replace(" ", "")


def _squash(text):
    return re.sub(r"\s+", " ", text).strip()


def _squash_lines(text):
    lines = (_squash(line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
