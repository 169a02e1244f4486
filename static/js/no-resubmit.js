// Pages that answer a POST (the one that shows a new key, the password confirmation) mark an
// element with data-history-url. Replace the page's history entry with a plain GET of that URL,
// so that Reload and Back → Forward load a page instead of sending the form again (or showing
// the browser's "Confirm form resubmission" error), and a key, shown only once, is gone.
// Without JavaScript a resent Create or Roll form is caught on the server, by its one-time token.
{
  const marked = document.querySelector("[data-history-url]");
  if (marked) history.replaceState(null, "", marked.dataset.historyUrl);
}
