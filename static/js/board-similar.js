// Progressive enhancement: while a citizen writes a request, show open 问政 board requests
// that read the same, so they can add 我也遇到 instead of filing again. Without
// JavaScript the form links to the board instead.
(function () {
  var box = document.getElementById("board-similar");
  var form = document.getElementById("request-form");
  if (!box || !form || !window.fetch) { return; }
  var timer = null;
  var last = "";
  function field(name) { var el = form.elements[name]; return el ? el.value : ""; }
  function look() {
    // Posted, never put in a URL: what a citizen types must not reach an access log.
    var params = new URLSearchParams({ title: field("title"), content: field("content").slice(0, 300), district: field("district") });
    var key = params.toString();
    if (key === last || (field("title") + field("content")).trim().length < 2) { return; }
    last = key;
    params.append("csrfmiddlewaretoken", field("csrfmiddlewaretoken"));
    fetch(box.dataset.url, { method: "POST", body: params, headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { box.innerHTML = html; })
      .catch(function () { /* the form works without it */ });
  }
  ["title", "content", "district"].forEach(function (name) {
    var el = form.elements[name];
    if (!el) { return; }
    el.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(look, 600); });
    el.addEventListener("change", look);
  });
})();
