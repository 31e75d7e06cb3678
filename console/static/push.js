// "Alerts on this device": subscribes this browser to Web Push through the service worker, so
// the officer's phone or laptop shows new alerts with the console closed.
"use strict";

(() => {
  const button = document.getElementById("push");
  const note = document.getElementById("push-note");
  if (!button) return;
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  function say(text, on) {
    note.textContent = text;
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "Alerts on this device: on" : "Alerts on this device";
  }
  function b64(text) {
    const raw = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }
  async function send(method, body) {
    const response = await fetch("/api/push/subscriptions", {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": window.platewatch.csrf() },
      body: JSON.stringify(body),
    });
    if (!response.ok && response.status !== 404) {
      const detail = (await response.json().catch(() => ({}))).detail;
      throw new Error(typeof detail === "string" ? detail : `the console answered ${response.status}`);
    }
  }
  async function registration() {
    return navigator.serviceWorker.register("/static/sw.js", { scope: "/static/" });
  }
  async function turnOn() {
    const key = await (await fetch("/api/push/key", { credentials: "same-origin" })).json();
    if (!key.enabled) { say("Push alerts are off on this console.", false); return; }
    if (await Notification.requestPermission() !== "granted") {
      say("Notifications are blocked for this site: allow them in the browser's settings.", false);
      return;
    }
    const reg = await registration();
    const subscription = await reg.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: b64(key.application_server_key),
    });
    await send("POST", subscription.toJSON());
    say("New alerts appear on this device even with the console closed.", true);
  }
  async function turnOff() {
    const reg = await navigator.serviceWorker.getRegistration("/static/");
    const subscription = reg && await reg.pushManager.getSubscription();
    if (subscription) {
      await send("DELETE", { endpoint: subscription.endpoint });
      await subscription.unsubscribe();
    }
    say("This device no longer gets alerts with the console closed.", false);
  }
  if (!supported) {
    button.disabled = true;
    note.textContent = "This browser cannot show alerts with the console closed.";
    return;
  }
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      if (button.getAttribute("aria-pressed") === "true") await turnOff(); else await turnOn();
    } catch (err) {
      say(`Push alerts not set up: ${err.message}.`, false);
    } finally {
      button.disabled = false;
    }
  });
  registration().then(async (reg) => {
    const subscription = await reg.pushManager.getSubscription();
    if (subscription) say("New alerts appear on this device even with the console closed.", true);
  }).catch(() => { /* shown when the officer clicks */ });
})();
