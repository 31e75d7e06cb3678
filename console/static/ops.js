// Camera health page: acknowledge camera alerts, and reload while it is open so the states
// and alerts stay current (the server renders them; nothing here builds markup from data).
"use strict";

const OPS_REFRESH_MS = 10000;

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-ops-ack]")) {
    button.addEventListener("click", async () => {
      button.disabled = true;
      const response = await fetch(`/api/ops-alerts/${button.dataset.opsAck}/acknowledge`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": window.platewatch.csrf() },
      });
      const card = button.closest("[data-ops-id]");
      const note = card ? card.querySelector("[data-f=ack]") : null;
      if (response.ok) {
        const alert = await response.json();
        if (note) note.textContent = `Acknowledged by ${alert.acknowledged_by}`;
        button.remove();
      } else {
        button.disabled = false;
        if (note) note.textContent = "Not acknowledged: reload the page and try again.";
      }
    });
  }
  window.setInterval(() => {
    // Not while someone is acting on the page.
    if (!document.querySelector("button[data-ops-ack]:disabled")) window.location.reload();
  }, OPS_REFRESH_MS);
});
