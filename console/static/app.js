// Shared page behaviour: local times, confirmations, the browser's time zone for forms.
"use strict";

window.platewatch = {
  csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  },
  localTime(iso) {
    const d = new Date(iso);
    return d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  },
};

document.addEventListener("DOMContentLoaded", () => {
  for (const el of document.querySelectorAll("time[data-local]")) {
    el.title = el.getAttribute("datetime");
    el.textContent = window.platewatch.localTime(el.getAttribute("datetime"));
  }
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  // datetime-local fields carry no zone: tell the server the browser's offset.
  for (const field of document.querySelectorAll("input[name=tz_offset]")) {
    field.value = String(new Date().getTimezoneOffset());
  }
  for (const field of document.querySelectorAll("input[type=datetime-local][data-default-hours-ago]")) {
    if (field.value) continue;
    const hours = Number(field.dataset.defaultHoursAgo);
    const d = new Date(Date.now() - hours * 3600e3 - new Date().getTimezoneOffset() * 60e3);
    field.value = d.toISOString().slice(0, 16);
  }
});
