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
})();
