// An error page's "Back to the form" goes back in the browser's history rather than to a new
// copy of the page, so the form still holds what was typed. Without this script the link
// opens the page again, empty.
(function () {
  "use strict";
  document.querySelectorAll("a[data-back]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (window.history.length > 1) {
        event.preventDefault();
        window.history.back();
      }
    });
  });
})();
