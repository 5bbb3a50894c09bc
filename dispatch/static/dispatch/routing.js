/* 列单并交单: when the dispatcher changes the category, the routing suggestion follows it.
 *
 * The hint (div[data-suggest-url]) asks the server for the suggestion of the newly chosen category
 * and shows it; the lead unit and assisting units are replaced only while they are still what was
 * suggested, never a unit the dispatcher chose. Without JavaScript the form still works: the
 * server records the suggestion for the category submitted. The hint's data-category names the
 * category it was given for. */
(function () {
  "use strict";

  function chosen(select) {
    return select ? Array.from(select.selectedOptions, function (o) { return o.value; }).sort().join(",") : "";
  }

  function choose(select, values) {
    if (!select) return;
    var wanted = values.map(String);
    Array.from(select.options).forEach(function (o) { o.selected = wanted.indexOf(o.value) !== -1; });
  }

  function follow(hint) {
    var form = hint.closest("details").querySelector("form");
    var prefix = hint.dataset.form + "-";
    var category = form.querySelector("[name='" + prefix + "category']");
    var unit = form.querySelector("[name='" + prefix + "unit']");
    var assists = form.querySelector("[name='" + prefix + "assist_units']");
    var shown = hint.querySelector(".routing-suggestion");
    if (!category || !unit || !shown) return;
    var suggested = { unit: unit.value, assists: chosen(assists) };

    category.addEventListener("change", function () {
      var asked = category.value;
      if (!asked) return;
      var url = hint.dataset.suggestUrl + "?category=" + encodeURIComponent(asked);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (data) {
          if (category.value !== asked) return; // changed again meanwhile: that answer will come
          shown.innerHTML = data.html;
          var next = {
            unit: data.unit === null ? "" : String(data.unit),
            assists: data.assist_units.map(String).sort().join(","),
          };
          if (unit.value === suggested.unit) unit.value = next.unit;
          if (chosen(assists) === suggested.assists) choose(assists, data.assist_units);
          suggested = next;
          hint.dataset.category = asked;
        })
        .catch(function () { /* the suggestion stays as it was; the dispatcher still chooses the unit */ });
    });
  }

  function start() {
    document.querySelectorAll("div[data-suggest-url]").forEach(follow);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
