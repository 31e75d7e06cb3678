// An import job's page: poll its JSON while it runs, then reload for the final report.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("import-job");
  if (!box || !["queued", "running"].includes(box.dataset.status)) return;
  const bar = document.getElementById("import-progress");
  const count = document.getElementById("import-count");
  const status = document.getElementById("import-status");
  const poll = async () => {
    let job;
    try {
      const response = await fetch(box.dataset.poll, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      job = await response.json();
    } catch {
      window.setTimeout(poll, 2000); // the console may be restarting: keep asking, slower
      return;
    }
    if (job.status === "done" || job.status === "failed") {
      window.location.reload();
      return;
    }
    bar.value = job.percent;
    bar.textContent = `${job.percent}%`;
    if (job.status === "running") {
      status.textContent = "Importing";
      const toWrite = job.rows_total - job.rows_rejected;
      count.textContent = toWrite > 0 ? `${job.rows_done} of ${toWrite} rows written` : "Checking the rows…";
    }
    window.setTimeout(poll, 400);
  };
  window.setTimeout(poll, 200);
});
