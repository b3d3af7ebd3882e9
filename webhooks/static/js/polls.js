// Poll form: the preview panel follows what the organizer types. The form is sent (debounced) to
// data-preview-url, which answers the panel as HTML rendered by the server (dashboard/polls/_preview.html):
// one renderer for the first paint, the no-script Preview button and this. No inline script (strict CSP).
// Without script every field shows and the Preview button does the same on the server.
(function () {
  "use strict";
  var form = document.getElementById("poll-form");
  var panel = document.getElementById("poll-preview");
  if (!form || !panel || !window.fetch) { return; }
  // Only the fields a question's kind uses: none hides the question, options shows the option lists.
  function fit(select) {
    var box = select.closest("fieldset");
    box.querySelector(".poll-q-body").hidden = select.value === "none";
    box.querySelectorAll(".poll-options-field").forEach(function (f) { f.hidden = select.value !== "options"; });
  }
  form.querySelectorAll("select.poll-kind").forEach(function (select) {
    fit(select);
    select.addEventListener("change", function () { fit(select); });
  });
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
