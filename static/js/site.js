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

// The citizen form's advice as the citizen types (requests_app/intake.py): emergency
// notices, other hotlines, answers from the knowledge base. Without this script the
// same advice comes back as a step after the first submit.
(function () {
  var form = document.getElementById("request-form");
  var box = document.getElementById("intake-advice");
  if (!form || !box || !form.dataset.adviceUrl || !window.fetch) { return; }
  var timer = null, last = "", pending = null;
  function ask() {
    var title = form.elements.title ? form.elements.title.value : "";
    var content = form.elements.content ? form.elements.content.value : "";
    var category = form.elements.category ? form.elements.category.value : "";
    var key = category + "\u0000" + title + "\u0000" + content;
    if (key === last || (title + content).trim().length < 2) { return; }
    last = key;
    var body = new FormData();
    body.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
    body.append("title", title);
    body.append("content", content);
    body.append("category", category);
    if (pending && pending.abort) { pending.abort(); }
    pending = window.AbortController ? new AbortController() : null;
    fetch(form.dataset.adviceUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-Requested-With": "fetch"}, signal: pending ? pending.signal : undefined
    }).then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
      if (html === null) { return; }
      box.innerHTML = html;
      // The citizen has seen the advice as they typed: the first submit goes through.
      if (box.querySelector("[data-advice]") && form.elements.advice_seen) { form.elements.advice_seen.value = "True"; }
    }).catch(function () {});
  }
  form.addEventListener("input", function (event) {
    var name = event.target && event.target.name;
    if (name !== "title" && name !== "content" && name !== "category") { return; }
    clearTimeout(timer);
    timer = setTimeout(ask, 600);
  });
}());
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
