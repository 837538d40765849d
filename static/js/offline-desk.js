/* The offline village desk (docs/offline.md): walk-ins saved on this device (IndexedDB) with
   the moment they were saved (`received_at`) and their own reference (`client_ref`), a
   provisional receipt printed at once, and everything waiting sent by itself, oldest first,
   whenever a connection comes. The same reference sent twice registers one case (the server
   answers 200 with it), so a case whose answer was lost is simply sent again.
   Every word shown comes from the page (#offline-words), in the reader's language. */
(function () {
  "use strict";

  var DB_NAME = "suqiu-offline"; // also static/js/offline-signout.js
  var DAY_MS = 24 * 3600 * 1000;
  var RETRY_MS = 15000;
  var SEND_TIMEOUT_MS = 60000;

  var S = JSON.parse(document.getElementById("offline-settings").textContent);
  var W = {};
  document.querySelectorAll("#offline-words [data-word]").forEach(function (node) {
    W[node.dataset.word] = node.textContent;
  });
  var form = document.getElementById("offline-form");
  var receipt = document.getElementById("receipt");
  var editing = null; // the refused case being corrected
  var sending = false;
  var stopped = false;

  // --- The device's store -------------------------------------------------------------------

  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore("cases", { keyPath: "client_ref" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }
  function store(mode, work) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var transaction = database.transaction("cases", mode);
        var result = work(transaction.objectStore("cases"));
        transaction.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        transaction.onerror = function () { reject(transaction.error); };
      });
    });
  }
  function allCases() {
    return store("readonly", function (cases) { return cases.getAll(); }).then(function (rows) {
      return rows.sort(function (a, b) { return a.savedAt - b.savedAt; });
    });
  }
  function put(record) { return store("readwrite", function (cases) { cases.put(record); }); }
  function remove(ref) { return store("readwrite", function (cases) { cases.delete(ref); }); }

  // --- Small helpers ---------------------------------------------------------------------------

  function two(n) { return (n < 10 ? "0" : "") + n; }
  function localInput(date) {
    return date.getFullYear() + "-" + two(date.getMonth() + 1) + "-" + two(date.getDate()) +
      "T" + two(date.getHours()) + ":" + two(date.getMinutes());
  }
  function shown(iso) { return iso ? localInput(new Date(iso)).replace("T", " ") : "—"; }
  function csrfToken() {
    var match = document.cookie.match(new RegExp("(?:^|; )" + S.csrfCookie + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : document.querySelector("#sign-out [name=csrfmiddlewaretoken]").value;
  }
  function field(name) { return form.elements[name]; }
  function labelOf(name) {
    var label = document.querySelector("label[for=id_" + name + "]");
    return label ? label.textContent.replace("*", "").trim() : name;
  }
  function keyOf(table, code) {
    return Object.keys(table).find(function (key) { return table[key].code === code; }) || "";
  }
  function reveal(node, on) { node.hidden = !on; }

  // --- The form --------------------------------------------------------------------------------

  function clearErrors() {
    form.querySelectorAll(".field-error[data-offline]").forEach(function (node) { node.remove(); });
    form.querySelectorAll(".field.has-error").forEach(function (node) { node.classList.remove("has-error"); });
    reveal(document.getElementById("form-error"), false);
  }
  function markError(name, message) {
    var box = document.getElementById("field-id_" + name);
    if (!box) return false;
    box.classList.add("has-error");
    var note = document.createElement("span");
    note.className = "field-error";
    note.dataset.offline = "";
    note.setAttribute("role", "alert");
    note.textContent = message;
    box.appendChild(note);
    return true;
  }
  function showErrors(errors) {
    clearErrors();
    var first = null;
    Object.keys(errors).forEach(function (name) {
      if (markError(name, errors[name].join(" ")) && !first) first = name;
    });
    reveal(document.getElementById("form-error"), true);
    if (first) field(first).focus();
  }

  function readForm() {
    var errors = {};
    ["category", "title", "content", "region"].forEach(function (name) {
      if (!field(name).value.trim()) errors[name] = [W.required];
    });
    var received = null;
    if (field("received_at").value) {
      received = new Date(field("received_at").value);
      if (received.getTime() > Date.now()) errors.received_at = [W.future];
    }
    if (Object.keys(errors).length) return { errors: errors };
    var accused = field("accused").value.split("\n").map(function (line) {
      var parts = line.replace("，", ",").split(",");
      return { name: parts[0].trim(), post: parts.slice(1).join(",").trim() };
    }).filter(function (person) { return person.name; });
    var category = S.categories[field("category").value];
    var village = S.villages[field("region").value];
    return {
      received: received,
      data: {
        complainant_name: field("complainant_name").value.trim(),
        complainant_phone: field("complainant_phone").value.trim(),
        complainant_id_number: field("complainant_id_number").value.trim(),
        anonymous: field("anonymous").checked,
        category: category.code,
        title: field("title").value.trim(),
        content: field("content").value.trim(),
        region: village.code,
        channel: field("channel").value,
        intake_unit: Number(field("intake_unit").value),
        accused: accused,
        late_reason: field("late_reason").value.trim(),
      },
      labels: {
        category: category.name,
        confidential: category.confidential,
        village: village.name,
        channel: field("channel").selectedOptions[0].textContent,
        desk: S.desks[field("intake_unit").value] || "",
      },
    };
  }

  function fillForm(record) {
    var data = record.data;
    ["complainant_name", "complainant_phone", "complainant_id_number", "title", "content", "channel", "late_reason"]
      .forEach(function (name) { field(name).value = data[name] || ""; });
    field("anonymous").checked = !!data.anonymous;
    field("category").value = keyOf(S.categories, data.category);
    field("region").value = keyOf(S.villages, data.region);
    field("intake_unit").value = String(data.intake_unit);
    field("accused").value = (data.accused || []).map(function (p) { return p.post ? p.name + "，" + p.post : p.name; }).join("\n");
    field("received_at").value = localInput(new Date(record.received_at));
    document.getElementById("received-earlier").open = true;
    if (data.accused && data.accused.length) form.querySelector("details.accused").open = true;
  }

  function resetForm() {
    var keep = { region: field("region").value, channel: field("channel").value, intake_unit: field("intake_unit").value };
    form.reset();
    Object.keys(keep).forEach(function (name) { field(name).value = keep[name]; });
    clearErrors();
    editing = null;
    reveal(document.getElementById("editing"), false);
    reveal(document.getElementById("cancel-edit"), false);
    document.getElementById("received-earlier").open = false;
  }

  function startEditing(record) {
    editing = record;
    fillForm(record);
    clearErrors();
    showErrors((record.error && record.error.fields) || {});
    reveal(document.getElementById("form-error"), false);
    reveal(document.getElementById("editing"), true);
    reveal(document.getElementById("cancel-edit"), true);
    form.scrollIntoView();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var read = readForm();
    if (read.errors) { showErrors(read.errors); return; }
    var now = new Date();
    var record;
    if (editing) {
      record = editing;
      // A correction keeps the moment the case was first saved unless the clerk changed it.
      if (read.received && localInput(read.received) !== localInput(new Date(record.received_at))) {
        record.received_at = read.received.toISOString();
      }
      delete record.error;
    } else {
      var id = crypto.randomUUID();
      var desk = read.data.intake_unit;
      record = {
        client_ref: "offline:" + desk + ":" + id,
        number: localInput(now).slice(0, 10).replace(/-/g, "") + "-" + id.slice(0, 6).toUpperCase(),
        user: S.user,
        savedAt: now.getTime(),
        received_at: (read.received || now).toISOString(),
      };
    }
    record.data = read.data;
    record.labels = read.labels;
    record.state = "pending";
    var corrected = !!editing;
    put(record).then(function () {
      resetForm();
      // A new walk-in's provisional receipt prints at once; a correction keeps the receipt given.
      if (!corrected) printReceipt(record);
      return show();
    }).then(function () { sync(); });
  });

  document.getElementById("cancel-edit").addEventListener("click", resetForm);

  // --- The receipts ------------------------------------------------------------------------------

  function printReceipt(record) {
    var final = record.state === "synced";
    var data = record.data || {};
    var labels = record.labels || {};
    receipt.dataset.kind = final ? "final" : "provisional";
    if (final && !record.query_code) receipt.dataset.gone = ""; else delete receipt.dataset.gone;
    document.getElementById("receipt-number").textContent = final ? record.tracking_number : record.number;
    document.getElementById("receipt-query-code").textContent = record.query_code || "";
    document.getElementById("receipt-desk").textContent = labels.desk || "";
    document.getElementById("receipt-received").textContent = shown(record.received_at);
    document.getElementById("receipt-title").textContent = data.title || "";
    document.getElementById("receipt-category").textContent = labels.category || "";
    document.getElementById("receipt-village").textContent = labels.village || "";
    document.getElementById("receipt-channel").textContent = labels.channel || "";
    var named = data.complainant_name && !data.anonymous && !labels.confidential;
    document.getElementById("receipt-name").textContent = named ? data.complainant_name : "";
    reveal(document.getElementById("receipt-name-row"), !!named);
    reveal(document.getElementById("receipt-title-row"), !!data.title && !labels.confidential);
    reveal(receipt, true);
    window.print();
  }
  document.getElementById("print-again").addEventListener("click", function () { window.print(); });
  document.getElementById("close-receipt").addEventListener("click", function () {
    reveal(receipt, false);
    field("complainant_name").focus();
  });

  // The final receipt once: then the personal data and the query code leave the device.
  function printFinal(record) {
    printReceipt(record);
    record.printed = true;
    forget(record);
    put(record).then(show);
  }
  function forget(record) {
    delete record.data;
    delete record.query_code;
  }

  // --- Sending ------------------------------------------------------------------------------------

  function sendOne(record) {
    record.state = "sending";
    return put(record).then(show).then(function () {
      var controller = new AbortController();
      var timer = setTimeout(function () { controller.abort(); }, SEND_TIMEOUT_MS);
      // The resident has left: the codes go to their phone too when they gave one.
      var body = Object.assign({}, record.data, {
        received_at: record.received_at,
        client_ref: record.client_ref,
        codes_by_sms: !!(record.data && record.data.complainant_phone),
      });
      return fetch(S.api, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(body),
        signal: controller.signal,
      }).then(function (answer) {
        return answer.json().catch(function () { return {}; }).then(function (json) {
          clearTimeout(timer);
          return { status: answer.status, json: json };
        });
      });
    }).then(function (answer) {
      return settle(record, answer.status, answer.json);
    }, function () {
      // The link dropped (before or after the server saw it): the same reference goes again.
      record.state = "pending";
      record.lastError = W.noConnection;
      return put(record).then(function () { return "later"; });
    });
  }

  function settle(record, status, json) {
    if (status === 200 || status === 201) {
      record.state = "synced";
      record.tracking_number = json.tracking_number;
      record.query_code = json.query_code || ""; // 200: registered before, the code went with that answer
      record.syncedAt = Date.now();
      delete record.lastError;
      return put(record).then(function () { return "next"; });
    }
    if (status === 401 || status === 403) {
      record.state = "pending";
      stopped = true;
      document.getElementById("sign-in-detail").textContent = json.detail || "";
      return put(record).then(function () { return "stop"; });
    }
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      var fields = {};
      var reasons = [];
      Object.keys(json).forEach(function (name) {
        if (name === "detail" || name === "code") return;
        var messages = [].concat(json[name]).map(function (m) { return typeof m === "string" ? m : JSON.stringify(m); });
        fields[name] = messages;
        reasons.push(name === "non_field_errors" ? messages.join(" ") : labelOf(name) + ": " + messages.join(" "));
      });
      record.state = "refused";
      record.error = { detail: reasons.length ? reasons.join(" · ") : json.detail || String(status), fields: fields };
      delete record.lastError;
      return put(record).then(function () { return "next"; });
    }
    record.state = "pending";
    record.lastError = W.serverBusy;
    return put(record).then(function () { return "later"; });
  }

  function sendAll() {
    return allCases().then(function (cases) {
      var queue = cases.filter(function (c) { return c.state === "pending" && c.user === S.user; });
      var step = function (i) {
        if (i >= queue.length) return Promise.resolve();
        return sendOne(queue[i]).then(function (outcome) {
          if (outcome === "next") {
            localStorage.setItem("suqiu-offline-last-sync", new Date().toISOString());
            return step(i + 1);
          }
        });
      };
      return step(0);
    });
  }

  function sync() {
    if (sending || stopped) return Promise.resolve();
    sending = true;
    show();
    // One tab sends at a time: two open desks must not race each other.
    var run = navigator.locks
      ? navigator.locks.request("suqiu-offline-sync", { ifAvailable: true }, function (lock) { return lock && sendAll(); })
      : sendAll();
    return Promise.resolve(run).catch(function () {}).then(function () {
      sending = false;
      return show();
    });
  }

  document.getElementById("sync-now").addEventListener("click", function () {
    stopped = false;
    sync();
  });

  // --- What the clerk sees -------------------------------------------------------------------------

  function button(text, action) {
    var node = document.createElement("button");
    node.type = "button";
    node.className = "button";
    node.textContent = text;
    node.addEventListener("click", action);
    return node;
  }
  function cell(row, text, className) {
    var td = document.createElement("td");
    if (className) td.className = className;
    if (text !== undefined) td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function show() {
    return allCases().then(function (cases) {
      var counts = { pending: 0, sending: 0, refused: 0, synced: 0 };
      var body = document.querySelector("#cases tbody");
      body.textContent = "";
      cases.forEach(function (record) {
        counts[record.state] += 1;
        var row = document.createElement("tr");
        row.dataset.ref = record.client_ref;
        row.dataset.state = record.state;
        cell(row, record.number, "code");
        cell(row, shown(record.received_at));
        cell(row, record.data ? record.data.title : "—");
        var state = cell(row);
        var badge = document.createElement("span");
        badge.className = "badge state-" + record.state;
        badge.textContent = W[record.state];
        state.appendChild(badge);
        var note = record.state === "refused" ? record.error.detail : record.lastError;
        if (record.state === "synced" && record.printed) note = W.printed;
        if (note) {
          var reason = document.createElement("p");
          reason.className = "reason";
          reason.textContent = note;
          state.appendChild(reason);
        }
        cell(row, record.tracking_number || "", "code tracking");
        var actions = cell(row);
        if (record.state === "synced" && !record.printed) {
          actions.appendChild(button(W.printFinal, function () { printFinal(record); }));
        }
        if (record.state === "refused") {
          actions.appendChild(button(W.correct, function () { startEditing(record); }));
          actions.appendChild(button(W.discard, function () {
            if (window.confirm(W.confirmDiscard)) remove(record.client_ref).then(show);
          }));
        }
        body.appendChild(row);
      });
      document.getElementById("count-pending").textContent = counts.pending + counts.sending;
      document.getElementById("count-refused").textContent = counts.refused;
      document.getElementById("count-synced").textContent = counts.synced;
      reveal(document.getElementById("cases"), cases.length > 0);
      reveal(document.getElementById("no-cases"), cases.length === 0);
      var waiting = counts.pending + counts.sending > 0;
      var now = stopped ? "stopped" : sending && waiting ? "sending" : waiting ? "waiting" : "idle";
      document.querySelectorAll("#sync-state [data-when]").forEach(function (node) {
        node.hidden = node.dataset.when !== now;
      });
      reveal(document.getElementById("sign-in-needed"), stopped);
      var last = localStorage.getItem("suqiu-offline-last-sync");
      document.getElementById("last-sync").textContent = last ? shown(last) : "—";
      document.body.dataset.pending = String(counts.pending + counts.sending);
      document.body.dataset.sending = sending ? "yes" : "no";
    });
  }

  function connection() {
    var node = document.getElementById("connection");
    node.dataset.state = navigator.onLine ? "online" : "offline";
    node.textContent = navigator.onLine ? W.online : W.offline;
  }

  // --- Keeping the device clean ---------------------------------------------------------------------

  // Registered cases: personal data gone once the final receipt is printed, the rest after a day.
  function purge() {
    var now = Date.now();
    return allCases().then(function (cases) {
      return Promise.all(cases.map(function (record) {
        if (record.state === "sending") {
          // Left half-sent by a closed page: it goes again (the same reference, no duplicate).
          record.state = "pending";
          return put(record);
        }
        if (record.state !== "synced") return null;
        if (now - record.syncedAt > DAY_MS) return remove(record.client_ref);
        if (record.printed && record.data) { forget(record); return put(record); }
        return null;
      }));
    });
  }

  // The desk's own sign-out: everything on the device goes, after a warning if that loses work.
  document.getElementById("sign-out").addEventListener("submit", function (event) {
    event.preventDefault();
    var target = event.target;
    allCases().then(function (cases) {
      var unsent = cases.some(function (c) { return c.state !== "synced"; });
      var unprinted = cases.some(function (c) { return c.state === "synced" && !c.printed && c.query_code; });
      if (unsent && !window.confirm(W.confirmSignOutUnsent)) return null;
      if (!unsent && unprinted && !window.confirm(W.confirmSignOutUnprinted)) return null;
      return store("readwrite", function (store) { store.clear(); }).then(function () {
        localStorage.removeItem("suqiu-offline-last-sync");
        return window.caches ? caches.keys() : [];
      }).then(function (names) {
        return Promise.all(names.filter(function (n) { return n.indexOf("suqiu-offline-") === 0; })
          .map(function (n) { return caches.delete(n); }));
      }).then(function () { target.submit(); });
    });
  });

  // --- Start ------------------------------------------------------------------------------------------

  var worker = document.getElementById("worker-state");
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(S.worker, { scope: S.scope }).catch(function () {});
    navigator.serviceWorker.ready.then(function () { worker.dataset.state = "ready"; });
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
  } else {
    worker.dataset.state = "unsupported";
  }
  window.addEventListener("online", function () { connection(); sync(); });
  window.addEventListener("offline", connection);
  connection();
  purge().then(show).then(sync);
  setInterval(function () {
    purge().then(function () { return navigator.onLine ? sync() : show(); });
  }, RETRY_MS);
})();
