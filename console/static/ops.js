// Camera operations alerts as cards (the camera health page and the officer's feed page):
// rendered from the page's JSON, acknowledged in place, and kept current. On the health page
// the whole page reloads (its table too); on the feed page only the cards are fetched again.
"use strict";

const OPS_REFRESH_MS = 10000;

function opsCard(template, alert) {
  const card = template.content.firstElementChild.cloneNode(true);
  const field = (name) => card.querySelector(`[data-f="${name}"]`);
  card.dataset.opsId = String(alert.id);
  card.dataset.state = alert.state;
  field("badge").textContent = `Camera ${alert.state}`;
  field("where").textContent = `${alert.camera_name} · ${alert.site_name}`;
  field("raised").dateTime = alert.raised_at;
  field("raised").textContent = window.platewatch.localTime(alert.raised_at);
  field("detail").textContent = alert.detail;
  const note = field("ack");
  const button = field("ack-button");
  if (alert.acknowledged_by) {
    note.textContent = `Acknowledged by ${alert.acknowledged_by}`;
    button.remove();
    return card;
  }
  button.addEventListener("click", async () => {
    button.disabled = true;
    const response = await fetch(`/api/ops-alerts/${alert.id}/acknowledge`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": window.platewatch.csrf() },
    });
    if (response.ok) {
      const done = await response.json();
      note.textContent = `Acknowledged by ${done.acknowledged_by}`;
      button.remove();
    } else {
      button.disabled = false;
      note.textContent = "Not acknowledged: reload the page and try again.";
    }
  });
  return card;
}

function renderOps(container, template, alerts) {
  container.replaceChildren(...alerts.map((alert) => opsCard(template, alert)));
  container.hidden = alerts.length === 0;
}

document.addEventListener("DOMContentLoaded", () => {
  const container = document.getElementById("ops-alerts");
  const template = document.getElementById("ops-card");
  if (!container || !template) return;
  renderOps(container, template, JSON.parse(document.getElementById("initial-ops").textContent));
  const busy = () => container.querySelector("button:disabled") !== null;
  window.setInterval(async () => {
    if (busy()) return; // not while someone is acting on a card
    if (container.dataset.refresh === "reload") {
      window.location.reload();
      return;
    }
    const response = await fetch("/api/ops-alerts?open=true", { credentials: "same-origin" });
    if (response.ok) renderOps(container, template, await response.json());
  }, OPS_REFRESH_MS);
});
