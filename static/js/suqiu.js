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
  // The walk-in form: a button marked data-fill puts its data-fill-* values in the form's
  // fields (a returning resident's name, an earlier case's category and village, a common
  // phrase's title and account), then focuses data-focus at its end. Without JavaScript the
  // buttons do nothing and the clerk types, or copies a phrase from the list.
  var FILLS = {
    fillName: "complainant_name",
    fillCategory: "category",
    fillRegion: "region",
    fillTitle: "title",
    fillContent: "content"
  };
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-fill]");
    var form = button && button.closest("form");
    if (!form) return;
    event.preventDefault();
    Object.keys(FILLS).forEach(function (key) {
      var field = form.elements[FILLS[key]];
      if (button.dataset[key] === undefined || !field) return;
      field.value = button.dataset[key];
      field.dispatchEvent(new Event("change", { bubbles: true }));
    });
    var note = button.dataset.done && form.querySelector("[data-fill-note]");
    if (note) note.textContent = button.dataset.done;
    var next = button.dataset.focus && form.elements[button.dataset.focus];
    if (next) {
      next.focus();
      if (next.setSelectionRange) next.setSelectionRange(next.value.length, next.value.length);
    }
  });

  // The common phrases of the chosen category only (all of them while none is chosen).
  function showPhrases(select) {
    document.querySelectorAll("[data-phrases-for]").forEach(function (group) {
      group.hidden = select.value !== "" && group.dataset.phrasesFor !== select.value;
    });
  }
  function phrases(root) {
    root.querySelectorAll("select[data-phrase-category]").forEach(function (select) {
      select.addEventListener("change", function () { showPhrases(select); });
      showPhrases(select);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); phrases(document); });
  } else {
    init(document);
    phrases(document);
  }
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
