// Open issues: the table is polled and replaced (admin.js, data-poll), so its "resolve"
// forms ask for a confirmation through one listener on the page, not one per form.
"use strict";

document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.ask && !window.confirm(form.dataset.ask)) {
    event.preventDefault();
  }
});
