// Markets pages: no double sends on slow links, and the reason's visible length.
(function () {
  "use strict";
  // A form submits once: the button says what is happening (app.js asks data-confirm first).
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) { return; }
    var button = event.target.querySelector("button[type=submit]");
    if (!button) { return; }
    if (button.disabled) { event.preventDefault(); return; }
    window.setTimeout(function () {
      button.disabled = true;
      button.setAttribute("data-busy", "yes");
      button.textContent = button.id === "broadcast-offer-button" ? "Starting the broadcast…" : "Saving…";
    }, 0);
  });
  // Workers see the first 40 characters of a reason in an SMS.
  var reason = document.getElementById("reason-field");
  var count = document.querySelector(".reason-count");
  if (reason && count) {
    var show = function () {
      var n = reason.value.trim().length;
      count.textContent = n ? n + " characters" + (n > 40 ? " — SMS shows: “" + reason.value.trim().slice(0, 40) + "…”" : "") : "";
    };
    reason.addEventListener("input", show);
    show();
  }
})();
