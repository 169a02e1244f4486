// Show a form part only when a select has a given value: data-shown-when="expires=custom" shows
// the element while the select named "expires" is on "custom". Without JavaScript all stay shown.
function updateShownWhen() {
  for (const element of document.querySelectorAll("[data-shown-when]")) {
    const [name, value] = element.dataset.shownWhen.split("=");
    const select = element.closest("form")?.elements[name];
    if (select) element.hidden = select.value !== value;
  }
}
document.addEventListener("change", updateShownWhen);
document.addEventListener("DOMContentLoaded", updateShownWhen);
