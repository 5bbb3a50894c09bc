// Progressive enhancement only; every page works without it.
// A second click on a submit button while the form is being sent does nothing
// (the server also refuses duplicates through the form's submit_token).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.submitting === "1") { event.preventDefault(); return; }
  form.dataset.submitting = "1";
  form.querySelectorAll("button[type=submit]").forEach(function (b) { b.classList.add("disabled"); b.setAttribute("aria-disabled", "true"); });
});
// A page restored from the back/forward cache is a fresh chance to send it.
window.addEventListener("pageshow", function (event) {
  if (!event.persisted) return;
  document.querySelectorAll("form[data-submitting='1']").forEach(function (form) {
    delete form.dataset.submitting;
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.classList.remove("disabled"); b.removeAttribute("aria-disabled"); });
  });
});
// A request sent without an answer seen (an error page, a lost connection) may be stored
// already. When the citizen goes back and sends the same request again, it goes with the
// first sending's key, even if the browser fetched a fresh form: the server then answers with
// the request it stored instead of storing a second one (the error page promises that). Per
// tab (sessionStorage), only for the same phone and title (kept as a digest, never as text),
// forgotten once a receipt is shown.
(function () {
  var PENDING = "yibang-pending-submit";
  var store = null;
  try { store = window.sessionStorage; } catch (e) { return; }
  if (!store) return;
  if (document.getElementById("ticket-number")) { store.removeItem(PENDING); return; }
  function digest(form) {
    var text = ["phone", "title"].map(function (name) {
      var field = form.elements[name];
      return field ? field.value.replace(/\s+/g, "") : "";
    }).join("\u0000");
    var h = 5381;
    for (var i = 0; i < text.length; i++) { h = ((h * 33) ^ text.charCodeAt(i)) >>> 0; }
    return text.length + ":" + h.toString(36);
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var key = form.elements && form.elements.submit_token;
    if (!key || event.defaultPrevented) return;
    var pending = null;
    try { pending = JSON.parse(store.getItem(PENDING) || "null"); } catch (e) { pending = null; }
    var mine = digest(form);
    if (pending && pending.digest === mine && pending.key) { key.value = pending.key; }
    store.setItem(PENDING, JSON.stringify({ key: key.value, digest: mine }));
  }, true);
})();
