// On narrow screens the main navigation folds behind a Menu button (see .menu-button in pivra.css).
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector(".menu-button");
  if (!button) return;
  const menu = document.getElementById(button.getAttribute("aria-controls"));
  button.hidden = false;
  document.documentElement.classList.add("has-menu");
  const isOpen = () => button.getAttribute("aria-expanded") === "true";
  button.addEventListener("click", () => {
    button.setAttribute("aria-expanded", String(!isOpen()));
  });
  // Escape on Menu or in the open menu closes it, and Menu keeps or gets the focus back, so the
  // focus is not left on a link that is now hidden. Not on a wide screen, where Menu is not shown.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !isOpen() || getComputedStyle(button).display === "none") return;
    if (document.activeElement !== button && !menu.contains(document.activeElement)) return;
    button.setAttribute("aria-expanded", "false");
    button.focus();
  });
});
