// Progressive enhancement only; every page works without it.
// A second click on a submit button while the form is being sent does nothing
// (the server also refuses duplicates through the form's submit_token).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.submitting === "1") { event.preventDefault(); return; }
  form.dataset.submitting = "1";
  form.querySelectorAll("button[type=submit]").forEach(function (b) { b.classList.add("disabled"); b.setAttribute("aria-disabled", "true"); });
});
// A page that comes back with errors puts the keyboard and the screen reader on
// their summary (role="alert" announces it too), not at the top of the page.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-focus-on-load]");
  if (summary) { summary.focus(); }
});
