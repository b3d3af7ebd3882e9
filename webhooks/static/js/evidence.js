// An evidence pack's page: while the pack is queued or being made, poll its small JSON status every
// 1.5 s and move the bar; when it is done show the download link, when it failed say so.
(function () {
  "use strict";
  var root = document.getElementById("pack-progress");
  if (!root) { return; }
  var sl = window.streetline;
  var bar = document.getElementById("pack-bar");
  var state = document.getElementById("pack-state");
  var labels = JSON.parse(root.getAttribute("data-labels") || "{}");
  function show(s) {
    root.setAttribute("data-state", s.state);
    bar.value = s.progress;
    bar.textContent = s.progress + "%";
    if (labels[s.state]) { state.textContent = labels[s.state]; }
    document.getElementById("pack-ready").hidden = s.state !== "done";
    document.getElementById("pack-error").hidden = s.state !== "failed";
  }
  function poll() {
    sl.fetchJSON(root.getAttribute("data-status-url"), {method: "GET"}).then(function (s) {
      show(s);
      if (s.state === "queued" || s.state === "running") { window.setTimeout(poll, 1500); }
    }, function () { window.setTimeout(poll, 5000); });
  }
  var now = root.getAttribute("data-state");
  if (now === "queued" || now === "running") { poll(); }
})();
