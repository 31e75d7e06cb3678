// The officer's service worker: shows a pushed alert with the console closed, and opens it.
// The push payload is decrypted by the browser; it holds the plate, the reason and the camera.
"use strict";

self.addEventListener("push", (event) => {
  let message = { title: "platewatch alert", body: "Open the console.", url: "/alerts", urgent: true };
  try {
    message = { ...message, ...event.data.json() };
  } catch (err) {
    // Not JSON (or no data): still tell the officer something arrived.
  }
  event.waitUntil(self.registration.showNotification(message.title, {
    body: message.body,
    tag: `alert-${message.alert_id || "unknown"}`,
    // The Notifications API refuses renotify with silent: a silent (historical) hit only shows.
    renotify: !message.silent,
    requireInteraction: Boolean(message.urgent),
    silent: Boolean(message.silent),
    icon: "/static/icon.svg",
    data: { url: message.url },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL((event.notification.data && event.notification.data.url) || "/alerts", self.location.origin);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (new URL(client.url).pathname === "/alerts") {
        await client.focus();
        return client.navigate(url.href);
      }
    }
    return self.clients.openWindow(url.href);
  })());
});
