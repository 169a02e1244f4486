// The chatbot page's sources: while some are pending or processing, ask the server for their
// status every two seconds (less often after errors, never past ten minutes), redraw the status
// cell as the server renders it, and say what changed. Without JavaScript, a reload shows it.
const IN_PROGRESS = ["pending", "processing"];

function statusCell(source) {
  const badge = document.createElement("span");
  badge.className = { ready: "badge ok", failed: "badge off" }[source.status] ?? "badge";
  badge.textContent = source.status_display;
  if (source.status !== "failed") return [badge];
  const reason = document.createElement("span");
  reason.className = "failure";
  reason.textContent = source.error;
  return [badge, " ", reason];
}

function news(source) {
  if (source.status === "ready") return `${source.name} is ready.`;
  if (source.status === "failed") return `${source.name} failed: ${source.error}`;
  return "";
}

document.addEventListener("DOMContentLoaded", () => {
  const table = document.querySelector("table[data-status-url]");
  const live = document.getElementById("source-status-news");
  if (!table || !live) return;
  const stopAt = Date.now() + 10 * 60 * 1000;
  let delay = 2000;

  const waiting = () => [...table.querySelectorAll("tr[data-source-id]")].filter(
    (row) => IN_PROGRESS.includes(row.dataset.status));

  async function poll() {
    const rows = waiting();
    if (!rows.length || Date.now() > stopAt) return;
    const query = rows.map((row) => `id=${encodeURIComponent(row.dataset.sourceId)}`).join("&");
    try {
      const response = await fetch(`${table.dataset.statusUrl}?${query}`, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const changes = [];
      for (const source of (await response.json()).sources) {
        const row = table.querySelector(`tr[data-source-id="${CSS.escape(source.id)}"]`);
        if (!row || row.dataset.status === source.status) continue;
        row.dataset.status = source.status;
        row.querySelector(".source-status").replaceChildren(...statusCell(source));
        row.querySelector(".source-characters").textContent = source.characters;
        changes.push(news(source));
      }
      if (changes.some(Boolean)) live.textContent = changes.filter(Boolean).join(" ");
      delay = 2000;
    } catch {
      delay = Math.min(delay * 2, 60000);  // the server is struggling or the session ended: ask less often
    }
    setTimeout(poll, delay);
  }

  setTimeout(poll, delay);
});
