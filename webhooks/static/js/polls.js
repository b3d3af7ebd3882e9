// Poll form: the preview panel follows what the organizer types. The form is sent (debounced) to
// data-preview-url, which answers the panel as HTML rendered by the server (dashboard/polls/_preview.html):
// one renderer for the first paint, the no-script Preview button and this. No inline script (strict CSP).
(function () {
  "use strict";
  var form = document.getElementById("poll-form");
  var panel = document.getElementById("poll-preview");
  if (!form || !panel || !window.fetch) { return; }
  var timer = null, seq = 0;
  function refresh() {
    var mine = ++seq;
    var body = new FormData(form);
    body.set("action", "preview");
    fetch(form.getAttribute("data-preview-url"), {method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRF-Token": body.get("csrf_token") || ""}})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null && mine === seq) { panel.innerHTML = html; } })
      .catch(function () { /* offline: the Preview button still works */ });
  }
  function later() { clearTimeout(timer); timer = setTimeout(refresh, 450); }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
