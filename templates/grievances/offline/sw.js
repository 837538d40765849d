{% autoescape off %}/* The offline desk's service worker (docs/offline.md). Hand-written, not Workbox: it does
   three things (keep the page and its files at install, answer the page from the network
   and else from the copy, answer the files from the copy) and needs no build step.
   The API is not touched: the page itself sends the cases, with the clerk's session. */
"use strict";
const CACHE = "suqiu-offline-{{ version }}";
const PAGE = "{{ page }}";
const FILES = {{ precache }};
// On a slow township link the copy is shown rather than a blank page; the answer from the
// network still refreshes the copy when it comes.
const PAGE_WAIT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll([PAGE, ...FILES]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith("suqiu-offline-") && name !== CACHE).map((name) => caches.delete(name)),
      ))
      .then(() => self.clients.claim()),
  );
});

async function fromNetworkThenCopy(request) {
  const network = fetch(request).then(async (answer) => {
    // A redirect is the sign-in page (the session ended): shown, never kept as the desk.
    if (answer.ok && !answer.redirected) {
      const cache = await caches.open(CACHE);
      await cache.put(PAGE, answer.clone());
    }
    return answer;
  });
  const copy = await caches.match(PAGE, { ignoreVary: true });
  if (!copy) return network;
  const late = new Promise((resolve) => setTimeout(() => resolve(copy), PAGE_WAIT_MS));
  return Promise.race([network.catch(() => copy), late]);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(fromNetworkThenCopy(request));
  } else if (FILES.includes(url.pathname)) {
    event.respondWith(
      caches.match(url.pathname, { ignoreVary: true }).then((copy) => copy || fetch(request)),
    );
  }
});
{% endautoescape %}
