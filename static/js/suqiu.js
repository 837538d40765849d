/* Behaviour shared by every page. No inline script anywhere: the CSP allows scripts from
   static files only (docs/security.md). */
(function () {
  "use strict";
  // A button marked data-print prints the page (receipts, the monthly report).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print]");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });

  // "Register and print the receipt": the receipt opens the print dialog by itself, once.
  window.addEventListener("load", function () {
    if (document.querySelector("[data-autoprint]")) window.print();
  });

  // A long list of units (select[data-filter]) gets a box above it that keeps only the
  // options containing what is typed. Without JavaScript the select still works, and its
  // type-ahead finds a township's units by the township's name that begins each option.
  function filterable(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "option-filter";
    box.placeholder = select.dataset.filter;
    box.setAttribute("aria-label", select.dataset.filter);
    box.setAttribute("aria-controls", select.id);
    box.addEventListener("input", function () {
      var words = box.value.trim().toLowerCase();
      select.querySelectorAll("option").forEach(function (option) {
        option.hidden = option.value !== "" && words !== "" && option.textContent.toLowerCase().indexOf(words) < 0;
      });
      select.querySelectorAll("optgroup").forEach(function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
    });
    select.parentNode.insertBefore(box, select);
  }
  function init(root) {
    root.querySelectorAll("select[data-filter]:not([data-filtered])").forEach(function (select) {
      select.dataset.filtered = "1";
      filterable(select);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
