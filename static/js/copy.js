// Copy buttons: the Clipboard API where available, else select the text for Ctrl/Cmd+C. What
// happened is shown on the button and announced to screen readers through a polite live region.
function copyStatus() {
  let status = document.getElementById("copy-status");
  if (!status) {
    status = document.createElement("p");
    status.id = "copy-status";
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    document.body.append(status);
  }
  return status;
}

document.addEventListener("DOMContentLoaded", copyStatus); // a live region must exist before it speaks

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copyTarget);
  const text = field.value ?? field.textContent;
  let said;
  try {
    await navigator.clipboard.writeText(text);
    said = "Copied";
  } catch {
    field.select?.();
    said = "Press Ctrl+C to copy";
  }
  button.textContent = said;
  copyStatus().textContent = said;
  setTimeout(() => {
    button.textContent = "Copy";
    copyStatus().textContent = "";
  }, 2500);
});
