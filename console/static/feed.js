// The officer's live alert feed: server-sent events, a tone and a flash for each new alert,
// and the disposition buttons. Everything the server sends is already scoped to the officer.
// A historical hit (a new hotlist entry found among reads stored earlier) is marked as such and
// makes no sound: it says where the car was, not where it is.
"use strict";

(() => {
  const CLOSED = new Set(["confirmed", "rejected", "dismissed"]);
  const REASONS = {
    stolen_vehicle: "Stolen vehicle", stolen_plate: "Stolen plate", wanted_person: "Wanted person",
    missing_person: "Missing person", amber_alert: "AMBER alert", silver_alert: "Silver alert",
    protection_order: "Protection order", other: "Listed vehicle",
  };
  const STATUS = {
    new: "New", acknowledged: "Acknowledged", confirmed: "Confirmed", rejected: "Rejected", dismissed: "Dismissed",
  };
  const CHOICE = {
    correct_read: "Correct read", wrong_state: "Wrong state", incorrect_read: "Incorrect read",
    vehicle_mismatch: "Vehicle does not match",
  };
  const openBox = document.getElementById("open-alerts");
  const handledBox = document.getElementById("handled");
  const empty = document.getElementById("empty");
  const live = document.getElementById("live");
  const countEl = document.getElementById("open-count");
  const soundBtn = document.getElementById("sound");
  const template = document.getElementById("alert-card");
  const alerts = new Map();
  let lastId = Number(openBox.dataset.lastId || 0);
  let audio = null;
  let unseen = 0;

  // --- sound: a short two-tone alert made with WebAudio (no audio file) ---
  function enableSound() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    audio = audio || new Ctx();
    audio.resume();
    soundBtn.setAttribute("aria-pressed", "true");
    soundBtn.textContent = "Sound on";
    localStorage.setItem("pw-sound", "on");
  }
  function disableSound() {
    soundBtn.setAttribute("aria-pressed", "false");
    soundBtn.textContent = "Enable sound";
    localStorage.setItem("pw-sound", "off");
  }
  function beep(urgent) {
    if (!audio || soundBtn.getAttribute("aria-pressed") !== "true") return;
    const tones = urgent ? [988, 740, 988, 740] : [660, 880];
    let t = audio.currentTime + 0.02;
    for (const freq of tones) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "square";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.25, t + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.16);
      osc.connect(gain).connect(audio.destination);
      osc.start(t);
      osc.stop(t + 0.17);
      t += 0.2;
    }
  }
  soundBtn.addEventListener("click", () => {
    if (soundBtn.getAttribute("aria-pressed") === "true") disableSound();
    else { enableSound(); beep(false); }
  });
  // Browsers start audio only after a gesture: arm it on the first tap if it was on before.
  if (localStorage.getItem("pw-sound") === "on") {
    document.addEventListener("pointerdown", enableSound, { once: true });
  }

  // --- rendering ---
  function ago(iso) {
    const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 60) return "just now";
    if (s < 3600) return `${Math.floor(s / 60)} min ago`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
    return window.platewatch.localTime(iso);
  }
  function set(root, name, text) {
    const el = root.querySelector(`[data-f="${name}"]`);
    el.textContent = text;
    return el;
  }
  function plate(el, text, state) {
    el.textContent = text;
    if (state) {
      const small = document.createElement("small");
      small.textContent = state;
      el.appendChild(small);
    }
  }
  function vehicle(rec) {
    const parts = [rec.color, rec.make, rec.model].filter(Boolean);
    return parts.length ? parts.join(" ") : "not given";
  }
  function age(seconds) {
    if (seconds == null) return "";
    if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
    if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
    return `${Math.round(seconds / 86400)} days`;
  }
  // fast-alpr regions are "us-ca" style; officers read "CA".
  function region(value) {
    if (!value) return "";
    const m = /^[a-z]{2}-([a-z0-9]{1,3})$/i.exec(value);
    return (m ? m[1] : value).toUpperCase();
  }
  function picture(card, name, url) {
    const img = card.querySelector(`img[data-f="${name}"]`);
    const link = card.querySelector(`[data-f="${name}-link"]`);
    link.hidden = !url;
    if (!url) { link.removeAttribute("href"); return; }
    link.href = url;
    if (img.getAttribute("src") !== url) {
      img.hidden = false;
      img.onerror = () => { link.hidden = true; };
      img.src = url;
    }
  }
  function cameraLine(a) {
    return [a.camera.name, a.camera.location, a.camera.direction, a.camera.site_name].filter(Boolean).join(" · ");
  }
  function fill(card, a) {
    const hit = a.decision === "alert";
    const past = Boolean(a.historical);
    card.classList.toggle("verify", !hit);
    card.classList.toggle("historical", past);
    card.dataset.id = a.id;
    set(card, "badge", past ? "HISTORICAL" : hit ? "HIT" : "VERIFY");
    const note = card.querySelector('[data-f="historical"]');
    note.hidden = !past;
    note.textContent = past
      ? `Historical hit - seen earlier, not a live stop. Last seen ${window.platewatch.localTime(a.last_seen_at)} at ${cameraLine(a)}.`
      : "";
    set(card, "reason", REASONS[a.record.reason] || a.record.reason);
    const when = set(card, "ago", ago(a.last_seen_at));
    when.dateTime = a.last_seen_at;
    when.title = window.platewatch.localTime(a.last_seen_at);
    set(card, "status", STATUS[a.status] || a.status);
    picture(card, "crop", a.crop_url);
    picture(card, "frame", a.frame_url);
    plate(card.querySelector('[data-f="seen-plate"]'), a.plate_read, region(a.read_region));
    set(card, "seen-conf", `${Math.round(a.read_confidence * 100)}% confident read`);
    plate(card.querySelector('[data-f="rec-plate"]'), a.record.plate, a.record.state);
    set(card, "vehicle", vehicle(a.record));
    set(card, "reason-2", (REASONS[a.record.reason] || a.record.reason) + (a.record.state ? ` · issued in ${a.record.state}` : ""));
    set(card, "camera", cameraLine(a));
    set(card, "seen-when", window.platewatch.localTime(a.last_seen_at) + (a.sightings > 1 ? ` · seen ${a.sightings} times` : ""));
    set(card, "list", a.record.list_name + (a.record.list_refresh_age_s != null ? ` · refreshed ${age(a.record.list_refresh_age_s)} ago` : ""));
    set(card, "record", (a.record.record_number || "—") + (a.record.record_age_s != null ? ` · entered ${age(a.record.record_age_s)} ago` : ""));
    set(card, "match", `Match: ${a.match_kind}` + (a.substitutions ? ` (${a.substitutions} character${a.substitutions > 1 ? "s" : ""} differ)` : "") + ` · score ${a.score.toFixed(2)}` + (hit ? "" : " · below the hit threshold: verify the plate by eye"));
    const warn = card.querySelector('[data-f="state-warn"]');
    warn.hidden = !a.state_mismatch;
    warn.textContent = `State mismatch: the camera read ${region(a.read_region) || "no state"}, the record is ${a.record.state || "without a state"}.`;
    set(card, "instruction", a.instruction);
  }
  function handledItem(a) {
    const li = document.createElement("li");
    li.dataset.id = a.id;
    const p = document.createElement("span");
    p.className = "mono";
    p.textContent = a.plate_read;
    const what = document.createElement("span");
    const label = CHOICE[a.status_reason] || STATUS[a.status] || a.status;
    what.textContent = `${label} by ${a.status_by || "—"}` + (a.status_note ? ` — “${a.status_note}”` : "");
    const when = document.createElement("span");
    when.className = "muted";
    when.textContent = `${a.camera.name} · ${window.platewatch.localTime(a.updated_at)}`;
    li.append(p, what, when);
    return li;
  }
  function refreshCounts() {
    const open = openBox.children.length;
    countEl.textContent = `${open} open`;
    empty.hidden = open > 0;
    document.title = (unseen ? `(${unseen}) ` : "") + "Live alerts · platewatch";
  }
  // mode: "initial" (page load, oldest last), "new" (a new alert), "update" (a change),
  // "seen_again" (a confirmed alert's car sighted again: back on top, with the tone).
  function show(a, mode) {
    const again = mode === "seen_again";
    const fresh = mode === "new" || again;
    alerts.set(a.id, a);
    lastId = Math.max(lastId, a.id);
    const existing = openBox.querySelector(`.card[data-id="${a.id}"]`);
    if (CLOSED.has(a.status) && !again) {
      if (existing) existing.remove();
      const old = handledBox.querySelector(`li[data-id="${a.id}"]`);
      const item = handledItem(a);
      if (old) old.replaceWith(item);
      else if (mode === "initial") handledBox.append(item);
      else handledBox.prepend(item);
      refreshCounts();
      return;
    }
    let card = existing;
    if (!card) {
      card = template.content.firstElementChild.cloneNode(true);
      wire(card);
      if (mode === "initial") openBox.append(card); else openBox.prepend(card);
    } else if (again) {
      openBox.prepend(card);
    }
    if (again) handledBox.querySelector(`li[data-id="${a.id}"]`)?.remove();
    fill(card, a);
    card.classList.toggle("seen-again", again);
    const banner = card.querySelector('[data-f="again"]');
    if (banner) {
      banner.hidden = !again;
      const latest = a.recent_sightings[0];
      const where = latest ? `${latest.camera_name}, ${window.platewatch.localTime(latest.seen_at)}` : a.camera.name;
      banner.textContent = again ? `Confirmed ${a.record.reason.replace(/_/g, " ")} seen again: ${where}` : "";
    }
    if (fresh) {
      card.classList.remove("fresh");
      void card.offsetWidth; // restart the flash
      card.classList.add("fresh");
      unseen += 1;
      if (!a.historical) {
        beep(a.decision === "alert");
        // An alert that arrived silently says so: the officer may not have heard anything.
        card.querySelector('[data-f="sound-off"]').hidden = soundBtn.getAttribute("aria-pressed") === "true" && audio !== null;
        if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
      }
    }
    refreshCounts();
  }
  function wire(card) {
    const form = card.querySelector("form");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const choice = event.submitter ? event.submitter.value : "dismiss";
      const buttons = form.querySelectorAll("button");
      const error = form.querySelector('[data-f="error"]');
      buttons.forEach((b) => { b.disabled = true; });
      error.hidden = true;
      try {
        const response = await fetch(`/api/alerts/${card.dataset.id}/disposition`, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": window.platewatch.csrf() },
          body: JSON.stringify({
            choice,
            note: form.elements.note.value || null,
            case_number: form.elements.case_number.value || null,
          }),
        });
        const body = await response.json().catch(() => ({}));
        if (response.status === 401) { window.location.assign("/login?expired=1&next=/alerts"); return; }
        if (!response.ok) throw new Error(typeof body.detail === "string" ? body.detail : `the server answered ${response.status}`);
        show(body, "update");
      } catch (err) {
        error.textContent = `Not saved: ${err.message}. Try again.`;
        error.hidden = false;
      } finally {
        buttons.forEach((b) => { b.disabled = false; });
      }
    });
    card.addEventListener("pointerdown", () => { unseen = 0; refreshCounts(); });
  }

  // --- the stream ---
  function connect() {
    const source = new EventSource(`/api/alerts/stream?after=${lastId}`);
    source.addEventListener("open", () => {
      live.dataset.state = "live";
      live.querySelector("b").textContent = "Live";
    });
    source.addEventListener("alert", (e) => show(JSON.parse(e.data).alert, "new"));
    source.addEventListener("update", (e) => show(JSON.parse(e.data).alert, "update"));
    source.addEventListener("seen_again", (e) => show(JSON.parse(e.data).alert, "seen_again"));
    source.addEventListener("signed_out", () => {
      source.close();
      window.location.assign("/login?expired=1&next=/alerts");
    });
    source.addEventListener("error", () => {
      live.dataset.state = "down";
      live.querySelector("b").textContent = "Reconnecting…";
      if (source.readyState === EventSource.CLOSED) {
        // Closed for good (e.g. 401 after the session ended): check, then retry or sign in.
        fetch("/api/me", { credentials: "same-origin" }).then((r) => {
          if (r.status === 401) window.location.assign("/login?expired=1&next=/alerts");
          else setTimeout(connect, 3000);
        }).catch(() => setTimeout(connect, 3000));
      }
    });
  }

  const initial = JSON.parse(document.getElementById("initial-alerts").textContent);
  initial.sort((x, y) => y.id - x.id);
  for (const a of initial) show(a, "initial");
  setInterval(() => {
    for (const card of openBox.children) {
      const a = alerts.get(Number(card.dataset.id));
      if (a) card.querySelector('[data-f="ago"]').textContent = ago(a.last_seen_at);
    }
  }, 15000);
  window.addEventListener("focus", () => { unseen = 0; refreshCounts(); });
  connect();
})();
