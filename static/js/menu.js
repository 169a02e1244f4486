// On narrow screens the main navigation folds behind a Menu button (see .menu-button in pivra.css).
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector(".menu-button");
  if (!button) return;
  button.hidden = false;
  document.documentElement.classList.add("has-menu");
  button.addEventListener("click", () => {
    button.setAttribute("aria-expanded", String(button.getAttribute("aria-expanded") !== "true"));
  });
});
