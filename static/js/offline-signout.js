/* On the sign-in page, which every sign-out ends on (the button, or a session that timed
   out): the offline desk's data leaves this device (docs/offline.md). Only cases that never
   reached the server stay, because they exist nowhere else; the page says how many, and
   they go as soon as the clerk signs in and opens the offline desk. */
(function () {
  "use strict";
  var DB_NAME = "suqiu-offline"; // static/js/offline-desk.js

  if (window.caches) {
    caches.keys().then(function (names) {
      names.filter(function (n) { return n.indexOf("suqiu-offline-") === 0; }).forEach(function (n) { caches.delete(n); });
    });
  }
  try { localStorage.removeItem("suqiu-offline-last-sync"); } catch (e) { /* storage off */ }
  if (!window.indexedDB || !indexedDB.databases) return;
  indexedDB.databases().then(function (list) {
    if (!list.some(function (d) { return d.name === DB_NAME; })) return;
    var request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = function () { request.result.createObjectStore("cases", { keyPath: "client_ref" }); };
    request.onsuccess = function () {
      var db = request.result;
      var transaction = db.transaction("cases", "readwrite");
      var cases = transaction.objectStore("cases");
      var kept = 0;
      cases.openCursor().onsuccess = function (event) {
        var cursor = event.target.result;
        if (!cursor) return;
        if (cursor.value.state === "synced") cursor.delete(); else kept += 1;
        cursor.continue();
      };
      transaction.oncomplete = function () {
        db.close();
        if (kept === 0) { indexedDB.deleteDatabase(DB_NAME); return; }
        var note = document.getElementById("offline-kept");
        if (note) {
          note.querySelector("[data-count]").textContent = kept;
          note.hidden = false;
        }
      };
    };
  });
})();
