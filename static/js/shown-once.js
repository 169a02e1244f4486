// A page that shows a new key answers the Create or Roll POST. Replace its history entry with a
// plain GET of the Security page (data-history-url), so that Reload and Back → Forward load the
// page afresh instead of sending the form again, and the key, shown only once, is gone.
// Without JavaScript a resent form is caught on the server, by its one-time token.
{
  const panel = document.querySelector("[data-history-url]");
  if (panel) history.replaceState(null, "", panel.dataset.historyUrl);
}
